// Words for a poll's settings and states.
import type { PollListing, PollStatus, ResultsVisibility } from '../gql/graphql';

export const VISIBILITY: Record<ResultsVisibility, { label: string; help: string }> = {
  ALWAYS: { label: 'Always', help: 'Everyone sees the results at any time.' },
  AFTER_VOTE: { label: 'After voting', help: 'Voters see the results once they have voted; everyone once the poll closes.' },
  AFTER_CLOSE: { label: 'After closing', help: 'Everyone sees the results once the poll closes.' },
  OWNER_ONLY: { label: 'Only me', help: 'Only you, the owner, see the results.' },
};

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
