// Each intended vote gets one idempotency key. Retrying the same intent (same action, same
// ballot) after a failure whose outcome is unknown reuses that key, so a vote that did
// reach the server is answered again (`replayed: true`) instead of counted twice.
import type { ApiError, KnownCode } from '../api/errors';

export type VoteAction = 'cast' | 'change' | 'retract';

/** What a ballot asks for, as far as telling one intent from another goes. */
export interface BallotIntent {
  optionIds: readonly string[];
  /** RANKED: the order of `optionIds` is the ballot (another order is another vote). */
  ordered?: boolean;
  /** SCORE: the scores given. */
  scores?: ReadonlyArray<{ optionId: string; score: number }>;
}

export interface VoteAttempt {
  action: VoteAction;
  /** The ballot in a canonical form: the same intent always gives the same text. */
  intent: string;
  key: string;
}

/**
 * A ballot's canonical text: option sets sorted (the same set in another order is the same
 * choice), rankings kept in order, scores sorted by option.
 */
export function intentOf(ballot: BallotIntent): string {
  const ids = ballot.ordered ? [...ballot.optionIds] : [...ballot.optionIds].sort();
  const scores = [...(ballot.scores ?? [])].map((s) => `${s.optionId}=${s.score}`).sort();
  return JSON.stringify([ids, scores]);
}

/** A fresh key: a random UUID (printable ASCII, 36 characters). */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The attempt to send: `pending` again when it is the same intent, else a new key. */
export function attemptFor(
  pending: VoteAttempt | null,
  action: VoteAction,
  ballot: BallotIntent,
  makeKey: () => string = newIdempotencyKey,
): VoteAttempt {
  const intent = intentOf(ballot);
  if (pending && pending.action === action && pending.intent === intent) return pending;
  return { action, intent, key: makeKey() };
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
