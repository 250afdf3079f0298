// A vote sent while the server cannot be reached has no answer: it may or may not have been
// recorded. It is sent again — with the same idempotency key, so the server replays the
// first result instead of counting it twice — until an answer comes back. Between tries it
// waits for the server to be reachable again, then a short, growing pause.
import type { ApiError, KnownCode } from '../api/errors';

/** Failures that carry no answer from the server. Anything else is an answer. */
const NO_ANSWER: ReadonlyArray<KnownCode> = ['NETWORK', 'TIMEOUT'];

/** Pauses after the server is back, per try: 250 ms doubling to at most RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 250;
export const RETRY_MAX_MS = 2000;

/** Whether `errors` say nothing about the vote's fate (so it must be sent again). */
export function hasNoAnswer(errors: readonly ApiError[]): boolean {
  return errors.length > 0 && errors.every((e) => NO_ANSWER.some((code) => e.code === code));
}

/** The pause before try number `retry` (0-based) once the server is reachable. */
export function retryPause(retry: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** retry, RETRY_MAX_MS);
}

export interface Sent<T> {
  errors: ApiError[];
  data?: T;
}

export interface RetryDeps {
  /** Resolves when the server is (again) reachable. */
  whenReachable(): Promise<void>;
  sleep(ms: number): Promise<void>;
  /** Told before each wait: the vote has no answer yet (for "waiting for Tally…"). */
  onWaiting?(retry: number): void;
}

/**
 * Calls `send` (which must reuse one idempotency key) until it comes back with an answer:
 * data, or errors that are not "no answer". Returns that answer and how many tries it took.
 */
export async function sendUntilAnswered<T>(send: () => Promise<Sent<T>>, deps: RetryDeps): Promise<Sent<T> & { tries: number }> {
  for (let retry = 0; ; retry += 1) {
    const sent = await send();
    if (sent.data !== undefined || !hasNoAnswer(sent.errors)) return { ...sent, tries: retry + 1 };
    deps.onWaiting?.(retry);
    await deps.whenReachable();
    await deps.sleep(retryPause(retry));
  }
}
