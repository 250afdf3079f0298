// Each intended vote gets one idempotency key. Retrying the same intent (same action, same
// options) after a failure whose outcome is unknown reuses that key, so a vote that did
// reach the server is answered again (`replayed: true`) instead of counted twice.
import type { ApiError, KnownCode } from '../api/errors';

export type VoteAction = 'cast' | 'change' | 'retract';

export interface VoteAttempt {
  action: VoteAction;
  /** Sorted, so the same set in another order is the same intent. */
  optionIds: string[];
  key: string;
}

/** A fresh key: a random UUID (printable ASCII, 36 characters). */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** The attempt to send: `pending` again when it is the same intent, else a new key. */
export function attemptFor(
  pending: VoteAttempt | null,
  action: VoteAction,
  optionIds: readonly string[],
  makeKey: () => string = newIdempotencyKey,
): VoteAttempt {
  const sorted = [...optionIds].sort();
  if (pending && pending.action === action && sameIds(pending.optionIds, sorted)) return pending;
  return { action, optionIds: sorted, key: makeKey() };
}

/**
 * Whether a failed attempt's key must be kept for the retry: when the server may have
 * recorded it (network failure, timeout, internal error) or did not perform it and asks
 * for a retry (rate limit, overload). Definite refusals get a new key next time.
 */
export function keepKeyAfter(errors: readonly ApiError[]): boolean {
  const uncertain: KnownCode[] = ['NETWORK', 'TIMEOUT', 'INTERNAL', 'RATE_LIMITED', 'OVERLOADED'];
  return errors.length > 0 && errors.every((e) => uncertain.some((code) => e.code === code));
}
