// Web Worker entry: solves one proof-of-work challenge per message, off the main thread,
// reporting progress after every slice. The page cancels by terminating the worker.
import { NonceSearch, SLICE, type SolveMessage, type SolveRequest } from './proofOfWork';

const post = (message: SolveMessage) => (self as unknown as Worker).postMessage(message);

self.onmessage = (event: MessageEvent<SolveRequest>) => {
  const { salt, difficulty } = event.data;
  let search: NonceSearch;
  try {
    search = new NonceSearch(salt, difficulty);
  } catch (error) {
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    return;
  }
  for (let from = 0; from < Number.MAX_SAFE_INTEGER; from += SLICE) {
    const nonce = search.search(from, SLICE);
    if (nonce !== null) {
      post({ type: 'solved', nonce: String(nonce), tried: nonce + 1 });
      return;
    }
    post({ type: 'progress', tried: from + SLICE });
  }
  post({ type: 'failed', message: 'no nonce up to 2^53 meets the difficulty' });
};
