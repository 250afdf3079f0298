import { describe, expect, it, vi } from 'vitest';
import { describeError } from '../api/errors';
import { describeExportError, ExportFailure, exportFilename, exportPath, fetchExport } from './exports';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('fetchExport', () => {
  it('sends the token in the Authorization header and names the file from the server', async () => {
    const fetcher = vi.fn(async () => new Response('ballot_id,cast_at\r\n', { status: 200, headers: { 'content-disposition': 'attachment; filename="poll-1-ballots.csv"' } }));
    const { blob, filename } = await fetchExport(fetcher as unknown as typeof fetch, 'tok', 'p 1', 'ballots', 'csv');
    expect(fetcher).toHaveBeenCalledWith('/exports/polls/p%201/ballots.csv', { headers: { authorization: 'Bearer tok' } });
    expect(filename).toBe('poll-1-ballots.csv');
    expect(await blob.text()).toBe('ballot_id,cast_at\r\n');
  });

  it('reads the refusal from the JSON body', async () => {
    const fetcher = vi.fn(async () => json(409, { error: { code: 'RESULTS_HIDDEN', message: 'results are hidden until the poll closes' } }));
    await expect(fetchExport(fetcher as unknown as typeof fetch, 't', 'p', 'results', 'json')).rejects.toMatchObject({
      error: { code: 'RESULTS_HIDDEN', message: 'results are hidden until the poll closes' },
    });
  });

  it('falls back to the status, and keeps Retry-After', async () => {
    const fetcher = vi.fn(async () => new Response('busy', { status: 429, headers: { 'retry-after': '3' } }));
    await expect(fetchExport(fetcher as unknown as typeof fetch, 't', 'p', 'results', 'csv')).rejects.toMatchObject({
      error: { code: 'RATE_LIMITED', retryAfterSeconds: 3 },
    });
  });

  it('does not save the app page a server without exports answers with', async () => {
    const fetcher = vi.fn(async () => new Response('<!doctype html>', { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } }));
    await expect(fetchExport(fetcher as unknown as typeof fetch, 't', 'p', 'results', 'csv')).rejects.toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('reports a download that broke off rather than saving part of it', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('ballot_id,cast_at\r\n'));
        controller.error(new TypeError('network error'));
      },
    });
    const fetcher = vi.fn(async () => new Response(body, { status: 200, headers: { 'content-type': 'text/csv' } }));
    await expect(fetchExport(fetcher as unknown as typeof fetch, 't', 'p', 'ballots', 'csv')).rejects.toMatchObject({ error: { code: 'EXPORT_INCOMPLETE' } });
    expect(describeExportError({ code: 'EXPORT_INCOMPLETE', message: 'x' }, describeError)).toMatch(/broke off/);
  });

  it('turns a failed fetch into NETWORK', async () => {
    const fetcher = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const failure = await fetchExport(fetcher as unknown as typeof fetch, 't', 'p', 'results', 'csv').catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExportFailure);
    expect((failure as ExportFailure).error.code).toBe('NETWORK');
  });
});

describe('exportFilename', () => {
  it('prefers filename*, then filename, then a made-up name', () => {
    expect(exportFilename("attachment; filename=\"a.csv\"; filename*=UTF-8''r%C3%A9sultats.csv", 'p', 'results', 'csv')).toBe('résultats.csv');
    expect(exportFilename('attachment; filename=b.json', 'p', 'ballots', 'json')).toBe('b.json');
    expect(exportFilename(null, 'p', 'ballots', 'json')).toBe('poll-p-ballots.json');
    expect(exportPath('x', 'results', 'json')).toBe('/exports/polls/x/results.json');
    expect(exportPath('x', 'ballots', 'blt')).toBe('/exports/polls/x/ballots.blt');
  });
});

describe('describeExportError', () => {
  it('explains hidden results and busy exports in plain words', () => {
    expect(describeExportError({ code: 'RESULTS_HIDDEN', message: 'x' }, describeError)).toMatch(/cannot be exported yet/);
    expect(describeExportError({ code: 'TOO_MANY_EXPORTS', message: 'x', retryAfterSeconds: 5 }, describeError)).toBe(
      'Too many exports are running for you right now. Please try again in 5 seconds.',
    );
    expect(describeExportError({ code: 'NETWORK', message: 'x' }, (e) => describeError(e, { online: false }))).toMatch(/offline/);
  });
});
