// Persisted operations: the app names each operation by the SHA-256 that codegen gave it
// (`__meta__.hash`, from `persistedDocuments` in codegen.ts) instead of sending its text.
// A server that does not know the hash answers PERSISTED_QUERY_NOT_FOUND, and the text
// is sent once with the hash: the exact text codegen hashed, from the manifest it wrote
// (urql would print the document its own way, which hashes differently). A server in
// trusted-documents mode knows every hash from that same manifest.
import { mapExchange, type Exchange } from '@urql/core';
import manifest from '../gql/persisted-documents.json';

/** Codegen's manifest keys read `sha256:<hex>`; the server wants the hex. */
export function hexHash(hash: string): string {
  return hash.startsWith('sha256:') ? hash.slice('sha256:'.length) : hash;
}

/** Documents' texts by their hex hash. */
export const persistedTexts: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(manifest as Record<string, string>).map(([hash, text]) => [hexHash(hash), text]),
);

/** Adds `extensions.persistedQuery` to queries and mutations whose document has a hash. */
export const persistedExchange: Exchange = mapExchange({
  onOperation(operation) {
    if (operation.kind !== 'query' && operation.kind !== 'mutation') return operation;
    const meta = (operation.query as { __meta__?: { hash?: string } }).__meta__;
    if (!meta?.hash) return operation;
    const persistedQuery = { version: 1 as const, sha256Hash: hexHash(meta.hash) };
    return { ...operation, extensions: { ...operation.extensions, persistedQuery } };
  },
});

interface Body {
  query?: string;
  extensions?: { persistedQuery?: { sha256Hash?: string } };
}

function isNotFound(result: unknown): boolean {
  const errors = (result as { errors?: { extensions?: { code?: string } }[] } | null)?.errors;
  return !!errors?.some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND');
}

/**
 * A `fetch` that sends a persisted operation by hash, and once more with its text when
 * the server does not know the hash. Anything else passes through as it is.
 */
export function persistedFetch(
  base: typeof fetch,
  texts: Readonly<Record<string, string>> = persistedTexts,
): typeof fetch {
  return async (input, init) => {
    if (typeof init?.body !== 'string') return base(input, init);
    let body: Body;
    try {
      body = JSON.parse(init.body) as Body;
    } catch {
      return base(input, init);
    }
    const hash = body.extensions?.persistedQuery?.sha256Hash;
    const text = hash ? texts[hash] : undefined;
    if (!hash || text === undefined) return base(input, init);
    const { query: _printed, ...byHash } = body;
    const first = await base(input, { ...init, body: JSON.stringify(byHash) });
    const answer: unknown = await first
      .clone()
      .json()
      .catch(() => null);
    if (!isNotFound(answer)) return first;
    return base(input, { ...init, body: JSON.stringify({ ...byHash, query: text }) });
  };
}
