// The owner's exports (GET /exports/polls/{id}/{ballots|results}.{csv|json}, and
// ballots.blt for RANKED polls): fetched with
// the session's token in the Authorization header (a plain link could not carry it), and
// saved as a file. Refusals come back as JSON `{ "error": { "code", "message" } }`.
import type { ApiError } from '../api/errors';
import { waitPhrase } from '../api/errors';

export type ExportWhat = 'ballots' | 'results';
/** `blt`: ballots of a RANKED poll in the BLT format counting tools read (ballots only). */
export type ExportFormat = 'csv' | 'json' | 'blt';

export function exportPath(pollId: string, what: ExportWhat, format: ExportFormat): string {
  return `/exports/polls/${encodeURIComponent(pollId)}/${what}.${format}`;
}

/** The file name the server suggests (Content-Disposition), else one made up here. */
export function exportFilename(disposition: string | null, pollId: string, what: ExportWhat, format: ExportFormat): string {
  const star = disposition && /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // fall through
    }
  }
  const plain = disposition && /filename\s*=\s*"?([^";]+)"?/i.exec(disposition);
  if (plain?.[1]) return plain[1].trim();
  return `poll-${pollId}-${what}.${format}`;
}

/** The app's code for a download that broke off before its end. */
export const INCOMPLETE = 'EXPORT_INCOMPLETE';

export class ExportFailure extends Error {
  constructor(readonly error: ApiError) {
    super(`${error.code}: ${error.message}`);
    this.name = 'ExportFailure';
  }
}

/** The refusal in a response that is not OK. */
export async function exportError(response: Response): Promise<ApiError> {
  let code = '';
  let message = response.statusText;
  try {
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // not JSON: judge by the status
  }
  if (!code) {
    code = { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'RESULTS_HIDDEN', 429: 'RATE_LIMITED' }[response.status] ?? 'UNKNOWN';
  }
  const error: ApiError = { code, message };
  const retry = Number(response.headers.get('retry-after'));
  if (Number.isFinite(retry) && retry > 0) error.retryAfterSeconds = Math.ceil(retry);
  return error;
}

/** Fetches one export; rejects with an ExportFailure (or NETWORK) when it is refused. */
export async function fetchExport(
  fetcher: typeof fetch,
  token: string,
  pollId: string,
  what: ExportWhat,
  format: ExportFormat,
): Promise<{ blob: Blob; filename: string }> {
  let response: Response;
  try {
    response = await fetcher(exportPath(pollId, what, format), { headers: { authorization: `Bearer ${token}` } });
  } catch (caught) {
    throw new ExportFailure({ code: 'NETWORK', message: caught instanceof Error ? caught.message : String(caught) });
  }
  if (!response.ok) throw new ExportFailure(await exportError(response));
  // A server without exports answers unknown paths with the app's index.html.
  if (response.headers.get('content-type')?.startsWith('text/html')) {
    throw new ExportFailure({ code: 'NOT_FOUND', message: 'this server does not offer exports' });
  }
  let blob: Blob;
  try {
    blob = await response.blob();
  } catch (caught) {
    // The server ends a streamed file without its last chunk when it fails midway.
    throw new ExportFailure({ code: INCOMPLETE, message: caught instanceof Error ? caught.message : String(caught) });
  }
  return { blob, filename: exportFilename(response.headers.get('content-disposition'), pollId, what, format) };
}

/** Words for an export refusal; the codes that only exports use are worded here. */
export function describeExportError(error: ApiError, describe: (e: ApiError) => string): string {
  switch (error.code) {
    case 'RESULTS_HIDDEN':
      return 'The results cannot be exported yet: this poll shows them only once it closes. Close the poll, or export after it closes.';
    case 'TOO_MANY_EXPORTS':
      return `Too many exports are running for you right now. Please try again ${waitPhrase(error.retryAfterSeconds)}.`;
    case 'FORBIDDEN':
      return 'Only the poll’s owner can export it.';
    case INCOMPLETE:
      return 'The download broke off before the end, so nothing was saved. Please try again.';
    default:
      return describe(error);
  }
}
