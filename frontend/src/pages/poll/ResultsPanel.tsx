// The results card: live bars, total, freshness, and why they are hidden when they are.
import { ResultsBars, ResultsPlaceholder } from '../../components/ResultsBars';
import { RunoffRounds } from '../../components/RunoffRounds';
import { ScoreResults } from '../../components/ScoreResults';
import { useReach } from '../../hooks/useReach';
import { formatDateTime } from '../../lib/datetime';
import type { Tally } from '../../lib/liveResults';
import { runoffView, scoreView } from '../../lib/methodResults';
import { percentagesNote, pluralityOutcome, totalText } from '../../lib/outcome';
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

/** The tally as the poll's kind counts it. */
function MethodResults({ poll, tally }: { poll: PollData; tally: Tally }) {
  const runoff = poll.kind === 'RANKED' ? runoffView(tally) : null;
  const scores = poll.kind === 'SCORE' ? scoreView(tally, poll.scoreRange) : null;
  if (runoff) {
    return (
      <>
        <h3 className="results-subhead">First preferences</h3>
        <ResultsBars tally={tally} mine={poll.myVote?.optionIds.slice(0, 1) ?? []} markLeaders={false} />
        <h3 className="results-subhead">Instant runoff, round by round</h3>
        <RunoffRounds view={runoff} />
      </>
    );
  }
  if (scores) return <ScoreResults view={scores} />;
  const kind = poll.kind === 'MULTIPLE' ? 'MULTIPLE' : 'SINGLE';
  const outcome = pluralityOutcome(tally, kind);
  const note = percentagesNote(tally, kind);
  return (
    <>
      {outcome && (
        <p className={`results-outcome${tally.final ? ' results-outcome-final' : ''}`} data-testid="results-outcome">
          {outcome}
        </p>
      )}
      <ResultsBars tally={tally} mine={poll.myVote?.optionIds ?? []} />
      {note && (
        <p className="field-hint" data-testid="percentages-note">
          {note}
        </p>
      )}
    </>
  );
}

export function ResultsPanel({ poll, tally, hidden, live, signedIn, onRefresh }: ResultsPanelProps) {
  const final = tally?.final ?? false;
  const { state: reach } = useReach();
  // During an outage the feed is not "connecting" for the first time: it waits for Tally.
  const label = live === 'connecting' && reach === 'unreachable' ? 'Reconnecting…' : LIVE_LABEL[live];
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
            {totalText(poll.kind, tally.totalVotes, tally.final)}
          </p>
          <MethodResults poll={poll} tally={tally} />
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
