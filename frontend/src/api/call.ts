// One operation as a plain promise: the data, or an ApiFailure with the errors. For
// multi-step flows (guest session → vote) where a step must speak as a session that is
// not the signed-in one yet: `token` signs just that request.
import type { AnyVariables, Client, DocumentInput, OperationContext } from '@urql/core';
import { ApiFailure, apiErrors } from './errors';

/**
 * The request context that signs one operation with `token` instead of the session's.
 * `ownToken` tells the client an UNAUTHENTICATED answer is about that token, not the
 * session's (see client.ts).
 */
export function asBearer(token: string): Partial<OperationContext> {
  return { fetchOptions: { headers: { authorization: `Bearer ${token}` } }, ownToken: true };
}

export async function runMutation<Data, Variables extends AnyVariables>(
  client: Client,
  document: DocumentInput<Data, Variables>,
  variables: Variables,
  token?: string,
): Promise<Data> {
  const result = await client.mutation(document, variables, token ? asBearer(token) : undefined).toPromise();
  if (result.data && !result.error) return result.data;
  throw new ApiFailure(apiErrors(result.error));
}

export async function runQuery<Data, Variables extends AnyVariables>(
  client: Client,
  document: DocumentInput<Data, Variables>,
  variables: Variables,
  token?: string,
): Promise<Data> {
  const context: Partial<OperationContext> = { requestPolicy: 'network-only', ...(token ? asBearer(token) : {}) };
  const result = await client.query(document, variables, context).toPromise();
  if (result.data && !result.error) return result.data;
  throw new ApiFailure(apiErrors(result.error));
}
