// The instant-runoff count, round by round: the outcome in words, a round picker, and the
// chosen round's bars with every option in the poll's order (rows never move; eliminated
// options stay, marked). While the viewer has not picked a round it follows the latest:
// when a live update brings new rounds, it steps through them so the change is seen, and
// bar widths animate — both skipped under prefers-reduced-motion.
import { useEffect, useId, useRef, useState } from 'react';
import { percentText, votesText } from '../lib/liveResults';
import type { RunoffView } from '../lib/methodResults';

/** How long each round stays on screen when stepping through new rounds. */
const STEP_MS = 700;

function prefersReducedMotion(): boolean {
  return typeof window.matchMedia === 'function' && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
}

function ballots(n: number): string {
  return n === 1 ? '1 ballot' : `${n} ballots`;
}

export function RunoffRounds({ view }: { view: RunoffView }) {
  const id = useId();
  const count = view.rounds.length;
  /** The round the viewer picked, or null to follow the latest. */
  const [picked, setPicked] = useState<number | null>(null);
  /** The round on screen while following (steps towards the latest). */
  const [stepping, setStepping] = useState(count);
  const previousCount = useRef(count);

  useEffect(() => {
    const before = previousCount.current;
    previousCount.current = count;
    if (count === before) return;
    // Fewer rounds than before (e.g. a first preference changed): show the latest at once.
    if (count < before || before === 0 || prefersReducedMotion()) {
      setStepping(count);
      return;
    }
    // New rounds: replay from the first one that changed, one step at a time.
    setStepping(Math.min(before, count));
    const timer = window.setInterval(() => {
      setStepping((n) => {
        if (n >= count) {
          window.clearInterval(timer);
          return count;
        }
        return n + 1;
      });
    }, STEP_MS);
    return () => window.clearInterval(timer);
  }, [count]);

  if (count === 0) {
    return (
      <div className="runoff" data-testid="runoff" data-rounds={0}>
        <p className="runoff-outcome" data-testid="runoff-outcome">
          {view.outcome}
        </p>
      </div>
    );
  }

  const shownNumber = Math.max(1, Math.min(count, picked ?? stepping));
  const round = view.rounds[shownNumber - 1] ?? view.rounds[count - 1];
  if (!round) return null;
  const following = picked === null;

  return (
    <div className="runoff" data-testid="runoff" data-rounds={count}>
      <p className="runoff-outcome" data-testid="runoff-outcome">
        {view.outcome}
      </p>
      <div className="runoff-nav" role="group" aria-labelledby={`${id}-label`}>
        <span id={`${id}-label`} className="runoff-label" data-testid="runoff-round-label" data-round={round.number}>
          Round {round.number} of {count}
        </span>
        <span className="runoff-buttons">
          {view.rounds.map((r) => (
            <button
              key={r.number}
              type="button"
              className="button button-small button-secondary runoff-pick"
              aria-pressed={r.number === round.number}
              aria-label={`Show round ${r.number}`}
              onClick={() => setPicked(r.number === count ? null : r.number)}
            >
              {r.number}
            </button>
          ))}
        </span>
        {!following && (
          <button type="button" className="button-link" onClick={() => setPicked(null)}>
            Follow the latest round
          </button>
        )}
      </div>
      <ol className="results runoff-round" aria-label={`Round ${round.number}`} data-testid="runoff-round" data-round={round.number}>
        {round.rows.map((row) => {
          const width = row.state === 'out' ? 0 : Math.max(0, Math.min(100, row.percentage));
          return (
            <li
              key={row.id}
              className={`result-row runoff-${row.state}${row.winner ? ' result-leader' : ''}`}
              data-testid={`runoff-${row.position}`}
              data-state={row.state}
              data-votes={row.votes}
            >
              <div className="result-label">
                <span className="result-text">
                  {row.text}
                  {row.state === 'eliminated' && <span className="runoff-tag"> eliminated in this round</span>}
                  {row.state === 'out' && <span className="runoff-tag"> out{row.outSince ? ` since round ${row.outSince}` : ''}</span>}
                  {row.winner && <span className="runoff-tag runoff-win"> winner</span>}
                </span>
                {row.state !== 'out' && (
                  <span className="result-numbers">
                    <span className="visually-hidden">: </span>
                    <span className="result-votes">{votesText(row.votes)}</span>
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
      <p className="runoff-facts field-hint" data-testid="runoff-facts">
        {ballots(round.continuing)} counted in this round
        {round.exhausted > 0 ? `; ${ballots(round.exhausted)} exhausted (no continuing option left on them)` : ''}.
        {round.eliminated.length > 0 && ` Eliminated: ${round.eliminated.join(', ')}.`}
      </p>
      <RoundsTable view={view} />
    </div>
  );
}

/** Every round at once, as election results print them: options down, rounds across. */
function RoundsTable({ view }: { view: RunoffView }) {
  const first = view.rounds[0];
  if (!first) return null;
  return (
    <details className="runoff-table">
      <summary>All rounds as a table</summary>
      <div className="table-scroll">
        <table className="invitation-table">
          <caption className="visually-hidden">Votes per option in each round</caption>
          <thead>
            <tr>
              <th scope="col">Option</th>
              {view.rounds.map((r) => (
                <th key={r.number} scope="col">
                  Round {r.number}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {first.rows.map((row, i) => (
              <tr key={row.id}>
                <th scope="row">{row.text}</th>
                {view.rounds.map((r) => {
                  const cell = r.rows[i];
                  return (
                    <td key={r.number}>
                      {!cell || cell.state === 'out' ? '—' : `${cell.votes}${cell.state === 'eliminated' ? ' (eliminated)' : ''}`}
                    </td>
                  );
                })}
              </tr>
            ))}
            <tr>
              <th scope="row">Exhausted ballots</th>
              {view.rounds.map((r) => (
                <td key={r.number}>{r.exhausted}</td>
              ))}
            </tr>
          </tbody>
        </table>
      </div>
    </details>
  );
}
