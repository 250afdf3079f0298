import { describe, expect, it } from 'vitest';
import { hexHash, persistedFetch, persistedTexts } from './persisted';

const HASH = 'a'.repeat(64);
const TEXT = 'query Viewer { viewer { id } }';

function recorder(answers: unknown[]) {
  const sent: Record<string, unknown>[] = [];
  const base = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    return new Response(JSON.stringify(answers[sent.length - 1]), {
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
  return { sent, base };
}

const body = (query: string) =>
  JSON.stringify({
    query,
    variables: {},
    extensions: { persistedQuery: { version: 1, sha256Hash: HASH } },
  });

describe('persisted operations', () => {
  it('sends the hash alone, and the manifest text once the server does not know it', async () => {
    const notFound = { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] };
    const { sent, base } = recorder([notFound, { data: { viewer: null } }]);
    const send = persistedFetch(base, { [HASH]: TEXT });
    const response = await send('/graphql', { method: 'POST', body: body('urql printed this') });
    expect(await response.json()).toEqual({ data: { viewer: null } });
    expect(sent[0]).not.toHaveProperty('query');
    expect(sent[1]?.query).toBe(TEXT);
  });

  it('sends a known hash once', async () => {
    const { sent, base } = recorder([{ data: { viewer: null } }]);
    await persistedFetch(base, { [HASH]: TEXT })('/graphql', { method: 'POST', body: body('x') });
    expect(sent).toHaveLength(1);
  });

  it('reads the manifest codegen wrote, by hex hash', () => {
    expect(hexHash(`sha256:${HASH}`)).toBe(HASH);
    const hashes = Object.keys(persistedTexts);
    expect(hashes.length).toBeGreaterThan(0);
    hashes.forEach((hash) => expect(hash).toMatch(/^[0-9a-f]{64}$/));
  });
});
