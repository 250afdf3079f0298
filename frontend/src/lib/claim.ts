// "Claim your votes": after a guest signs up or signs in, their guest ballots move to the
// account (claimGuestVotes). The outcome is shown once, on the page they land on.
import { errorsOf, type ApiError } from '../api/errors';

export type ClaimOutcome =
  | { kind: 'claimed'; claimed: number }
  /** The account already voted in these polls; nothing moved. */
  | { kind: 'conflict'; pollIds: string[] }
  /** The guest's votes had already been claimed, or the guest session is no longer valid. */
  | { kind: 'gone' }
  | { kind: 'failed'; errors: ApiError[] };

/** Runs the claim (`claim` is claimGuestVotes as the new account) and sorts its outcome. */
export async function claimGuestVotes(claim: (guestToken: string) => Promise<{ claimed: number }>, guestToken: string): Promise<ClaimOutcome> {
  try {
    return { kind: 'claimed', claimed: (await claim(guestToken)).claimed };
  } catch (caught) {
    const errors = errorsOf(caught);
    const conflict = errors.find((e) => e.code === 'CLAIM_CONFLICT');
    if (conflict) return { kind: 'conflict', pollIds: conflict.pollIds ?? [] };
    if (errors.some((e) => e.code === 'GUEST_ALREADY_CLAIMED' || e.code === 'UNAUTHENTICATED')) return { kind: 'gone' };
    return { kind: 'failed', errors };
  }
}

/** What to say about the outcome, or null when there is nothing worth saying. */
export function claimText(outcome: ClaimOutcome): string | null {
  switch (outcome.kind) {
    case 'claimed':
      if (outcome.claimed === 0) return null;
      return outcome.claimed === 1
        ? 'The vote you cast as a guest now belongs to your account.'
        : `The ${outcome.claimed} votes you cast as a guest now belong to your account.`;
    case 'conflict':
      return outcome.pollIds.length === 1
        ? 'Your guest votes were not moved to your account: it has already voted in a poll you also voted in as a guest. Your account’s vote there stands. The poll:'
        : `Your guest votes were not moved to your account: it has already voted in ${outcome.pollIds.length || 'some'} polls you also voted in as a guest. Your account’s votes there stand. The polls:`;
    case 'gone':
      return null;
    case 'failed':
      return 'Your guest votes could not be moved to your account right now; they are still counted as guest votes.';
  }
}

/** Whether a location's state carries a claim outcome (set by the sign-in page). */
export function claimFromState(state: unknown): ClaimOutcome | null {
  if (typeof state !== 'object' || state === null) return null;
  const claim = (state as { claim?: unknown }).claim;
  if (typeof claim !== 'object' || claim === null) return null;
  const kind = (claim as { kind?: unknown }).kind;
  return kind === 'claimed' || kind === 'conflict' || kind === 'gone' || kind === 'failed' ? (claim as ClaimOutcome) : null;
}
