// Words for a poll's settings and states.
import type { PollKind, PollListing, PollStatus, PollVoters, ResultsVisibility } from '../gql/graphql';

/** The kinds of poll as offered on the new-poll form. */
export const KIND: Record<PollKind, { label: string; help: string }> = {
  SINGLE: { label: 'One (single choice)', help: 'Each voter picks one option; the most votes wins.' },
  MULTIPLE: { label: 'Several (multiple choice)', help: 'Each voter ticks several options; each tick counts as a vote for that option.' },
  RANKED: {
    label: 'Ranked in order of preference (instant runoff)',
    help:
      'Voters put options in order, favourite first. Counting goes in rounds: an option with more than half the votes wins; ' +
      'otherwise the option with the fewest is eliminated and its ballots move to their next choice.',
  },
  SCORE: {
    label: 'A score for each option',
    help: 'Voters give options a score in a range you set (for example 0 to 5). The highest average score wins.',
  },
};

/** A kind in a few words, in lists of polls. */
export const KIND_SHORT: Record<PollKind, string> = {
  SINGLE: 'Single choice',
  MULTIPLE: 'Multiple choice',
  RANKED: 'Ranked choice',
  SCORE: 'Score voting',
};

export const VISIBILITY: Record<ResultsVisibility, { label: string; help: string }> = {
  ALWAYS: { label: 'Always', help: 'Everyone sees the results at any time.' },
  AFTER_VOTE: { label: 'After voting', help: 'Voters see the results once they have voted; everyone once the poll closes.' },
  AFTER_CLOSE: { label: 'After closing', help: 'Everyone sees the results once the poll closes.' },
  OWNER_ONLY: { label: 'Only me', help: 'Only you, the owner, see the results.' },
};

/**
 * Who sees the results, as the poll page says it to this viewer: the form's help speaks to
 * the owner ("Only you"), which is wrong for everyone else.
 */
export function visibilityShown(visibility: ResultsVisibility, viewerIsOwner: boolean): string {
  if (visibility === 'OWNER_ONLY' && !viewerIsOwner) return 'Only the poll’s owner sees the results.';
  return VISIBILITY[visibility].help;
}

export const LISTING: Record<PollListing, { label: string; help: string }> = {
  UNLISTED: {
    label: 'Only people with the link',
    help: 'The poll is not listed on the home page. Anyone you send the link or QR code to can still open it and vote.',
  },
  LISTED: {
    label: 'Also listed on the home page',
    help: 'Anyone visiting Tally can find the poll in the list of open polls, as well as through its link.',
  },
};

export const VOTERS: Record<PollVoters, { label: string; help: string; shown: string }> = {
  GUESTS: {
    label: 'Anyone with the link, no account needed',
    help: 'Visitors vote in one tap without signing up; each browser still votes once.',
    shown: 'Anyone with the link, no account needed',
  },
  ACCOUNTS: {
    label: 'People with an account',
    help: 'Voters sign up or sign in first, so each person votes once under their account.',
    shown: 'People signed in with an account',
  },
  INVITED: {
    label: 'Only people I invite',
    help: 'You hand out invitation links; only someone who opens one can vote, once per invitation.',
    shown: 'Only invited people',
  },
};

export const ANONYMOUS = {
  label: 'Anonymous ballots',
  help: 'Nobody, not even you or the server’s operators, can see who chose what. Voters can still change their own vote if the poll allows it.',
  badge: 'Anonymous',
  /** Said to everyone who opens an anonymous poll. */
  shown: 'Ballots are anonymous: nobody, not even the poll’s owner or the server’s operators, can see who chose what.',
} as const;

export const STATUS_LABEL: Record<PollStatus, string> = {
  SCHEDULED: 'Scheduled',
  OPEN: 'Open',
  CLOSED: 'Closed',
};

/** Why a viewer does not see the results yet, and when they will. */
export function hiddenResultsText(visibility: ResultsVisibility, signedIn: boolean): string {
  switch (visibility) {
    case 'AFTER_VOTE':
      return signedIn
        ? 'Results appear here once you have voted, and for everyone once the poll closes.'
        : 'Results appear for voters once they have voted, and for everyone once the poll closes. Sign in to vote.';
    case 'AFTER_CLOSE':
      return 'Results appear here once the poll closes.';
    case 'OWNER_ONLY':
      return 'Only the poll’s owner sees its results.';
    case 'ALWAYS':
      return 'Results are not available right now.';
  }
}
