// The tally as horizontal bars. Each row has a fixed height and the numbers a fixed width
// (tabular figures), so rows never move when counts change; only bar widths animate.
import { leaders, orderedOptions, percentText, votesText, type Tally } from '../lib/liveResults';

interface ResultsBarsProps {
  tally: Tally;
  /** Option ids of the viewer's own ballot, marked in the list. */
  mine?: readonly string[];
  /** Mark the options with most votes once final (not for RANKED, where rounds decide). */
  markLeaders?: boolean;
}

export function ResultsBars({ tally, mine = [], markLeaders = true }: ResultsBarsProps) {
  // Before the first ballot every row would read "0 votes · 0.0%": say it once above instead.
  const empty = tally.totalVotes === 0;
  const top = new Set(tally.final && markLeaders ? leaders(tally) : []);
  const chosen = new Set(mine);
  return (
    <ol className="results" data-testid="results" data-version={tally.version} data-final={tally.final}>
      {orderedOptions(tally).map((row) => {
        const width = Math.max(0, Math.min(100, row.percentage));
        return (
          <li
            key={row.option.id}
            className={`result-row${top.has(row.option.id) ? ' result-leader' : ''}`}
            data-testid={`result-${row.option.position}`}
            data-votes={row.votes}
          >
            <div className="result-label">
              <span className="result-text">
                {row.option.text}
                {chosen.has(row.option.id) && <span className="result-mine"> (your choice)</span>}
                {top.has(row.option.id) && <span className="visually-hidden"> (most votes)</span>}
              </span>
              {empty ? (
                <span className="result-numbers result-numbers-empty" aria-hidden="true">
                  —
                </span>
              ) : (
              <span className="result-numbers">
                <span className="visually-hidden">: </span>
                <span className="result-votes" data-testid="result-votes">
                  {votesText(row.votes)}
                </span>
                <span aria-hidden="true"> · </span>
                <span className="visually-hidden">, </span>
                <span className="result-percent">{percentText(row.percentage)}</span>
              </span>
              )}
            </div>
            <div className="result-track" aria-hidden="true">
              <div className="result-bar" style={{ width: `${width}%` }} />
            </div>
          </li>
        );
      })}
    </ol>
  );
}

/** Same footprint as {@link ResultsBars}, for while the tally loads or is hidden. */
export function ResultsPlaceholder({ options }: { options: ReadonlyArray<{ id: string; text: string }> }) {
  return (
    <ol className="results results-placeholder" aria-hidden="true">
      {options.map((o) => (
        <li key={o.id} className="result-row">
          <div className="result-label">
            <span className="result-text">{o.text}</span>
            <span className="result-numbers">—</span>
          </div>
          <div className="result-track" />
        </li>
      ))}
    </ol>
  );
}
