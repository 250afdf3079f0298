// Solving a guest proof-of-work challenge without freezing the page: in a Web Worker
// where the browser has them (a slice of nonces at a time, with progress), else on this
// thread, yielding between slices. Either way it stops when `signal` aborts.
import { NonceSearch, SLICE, type SolveMessage, type SolveRequest } from './proofOfWork';

/** Called after each slice with the number of nonces tried so far. */
export type OnProgress = (tried: number) => void;

function aborted(signal?: AbortSignal): unknown {
  return signal?.reason ?? new DOMException('The proof of work was cancelled.', 'AbortError');
}

/**
 * The smallest decimal nonce whose SHA-256(salt + nonce) has `difficulty` leading zero
 * bits, as the string to send to `startGuestSession`. Rejects with `signal.reason` when
 * aborted, and with a RangeError for a difficulty no digest can meet.
 */
export function solveChallenge(salt: string, difficulty: number, signal?: AbortSignal, onProgress?: OnProgress): Promise<string> {
  if (typeof Worker === 'undefined') return solveInThread(salt, difficulty, signal, onProgress);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(signal));
    const worker = new Worker(new URL('./proofOfWork.worker.ts', import.meta.url), { type: 'module' });
    const stop = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      stop();
      reject(aborted(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = (event: MessageEvent<SolveMessage>) => {
      const message = event.data;
      if (message.type === 'progress') {
        onProgress?.(message.tried);
      } else if (message.type === 'solved') {
        stop();
        onProgress?.(message.tried);
        resolve(message.nonce);
      } else {
        stop();
        reject(new RangeError(message.message));
      }
    };
    worker.onerror = (event) => {
      stop();
      reject(new Error(`proof-of-work worker failed: ${event.message}`));
    };
    const request: SolveRequest = { salt, difficulty };
    worker.postMessage(request);
  });
}

/** The same search on the calling thread, yielding to the event loop between slices. */
export async function solveInThread(salt: string, difficulty: number, signal?: AbortSignal, onProgress?: OnProgress): Promise<string> {
  const search = new NonceSearch(salt, difficulty);
  for (let from = 0; from < Number.MAX_SAFE_INTEGER; from += SLICE) {
    if (signal?.aborted) throw aborted(signal);
    const nonce = search.search(from, SLICE);
    if (nonce !== null) {
      onProgress?.(nonce + 1);
      return String(nonce);
    }
    onProgress?.(from + SLICE);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new RangeError('no nonce up to 2^53 meets the difficulty');
}
