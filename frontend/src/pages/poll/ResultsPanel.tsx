// The results card: live bars, total, freshness, and why they are hidden when they are.
import { ResultsBars, ResultsPlaceholder } from '../../components/ResultsBars';
import { formatDateTime } from '../../lib/datetime';
import { votesText, type Tally } from '../../lib/liveResults';
import { hiddenResultsText } from '../../lib/pollText';
import type { PollData } from './types';
import type { LiveState } from './useLiveTally';

const LIVE_LABEL: Record<LiveState, string> = {
  off: '',
  connecting: 'Connecting…',
  live: 'Live',
  final: 'Final',
  hidden: '',
  unavailable: 'Not live',
};

interface ResultsPanelProps {
  poll: PollData;
  tally: Tally | null;
  hidden: boolean;
  live: LiveState;
  signedIn: boolean;
  onRefresh(): void;
}

export function ResultsPanel({ poll, tally, hidden, live, signedIn, onRefresh }: ResultsPanelProps) {
  const final = tally?.final ?? false;
  const label = LIVE_LABEL[live];
  return (
    <section className="card results-panel" aria-labelledby="results-title" data-testid="results-panel">
      <div className="results-head">
        <h2 id="results-title" tabIndex={-1}>
          {final ? 'Final results' : 'Results'}
        </h2>
        <span className={`live-indicator live-${live}`} data-testid="live-indicator" data-state={live}>
          {label}
        </span>
      </div>
      {tally ? (
        <>
          <p className="results-total" data-testid="total-votes">
            {votesText(tally.totalVotes)}
            {poll.kind === 'MULTIPLE' && tally.totalVotes > 0 && (
              <span className="field-hint"> (each ballot may count for several options)</span>
            )}
          </p>
          {poll.kind === 'RANKED' && (
            <p className="field-hint">First preferences: how many ballots rank each option first. The winner is decided by instant runoff.</p>
          )}
          {poll.kind === 'SCORE' && <p className="field-hint">How many ballots gave each option a score.</p>}
          <ResultsBars
            tally={tally}
            mine={poll.kind === 'RANKED' ? (poll.myVote?.optionIds.slice(0, 1) ?? []) : (poll.myVote?.optionIds ?? [])}
            markLeaders={poll.kind === 'SINGLE' || poll.kind === 'MULTIPLE'}
          />
          <p className="results-asof field-hint">
            {final ? 'These results are final.' : `As of ${formatDateTime(tally.asOf)}.`}
          </p>
        </>
      ) : (
        <>
          <p className="results-total" data-testid="results-hidden">
            {hidden ? hiddenResultsText(poll.resultsVisibility, signedIn) : 'Loading results…'}
          </p>
          <ResultsPlaceholder options={[...poll.options].sort((a, b) => a.position - b.position)} />
        </>
      )}
      {live === 'unavailable' && (
        <div className="notice notice-warning" role="status">
          <p>Live updates are not available right now, so these numbers may be out of date.</p>
          <button type="button" className="button button-small button-secondary" onClick={onRefresh}>
            Refresh results
          </button>
        </div>
      )}
    </section>
  );
}
