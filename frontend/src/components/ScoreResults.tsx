// SCORE results: the winner(s) in words, then per option (in the poll's order) its average
// as a bar across the range, how many ballots scored it, and the distribution of scores as
// a small table whose cells carry bars (read as a table by screen readers).
import { averageText, type ScoreView } from '../lib/methodResults';

function ballots(n: number): string {
  return n === 1 ? '1 ballot' : `${n} ballots`;
}

export function ScoreResults({ view }: { view: ScoreView }) {
  return (
    <div className="score-results" data-testid="score-results">
      <p className="runoff-outcome" data-testid="score-outcome">
        {view.outcome}
      </p>
      <ol className="results">
        {view.rows.map((row) => (
          <li
            key={row.id}
            className={`result-row score-row${row.winner ? ' result-leader' : ''}`}
            data-testid={`score-${row.position}`}
            data-average={row.average ?? ''}
            data-ballots={row.ballots}
          >
            <div className="result-label">
              <span className="result-text">
                {row.text}
                {row.winner && <span className="runoff-tag runoff-win"> highest average</span>}
              </span>
              <span className="result-numbers">
                <span className="result-votes">average {averageText(row.average)}</span>
                <span aria-hidden="true"> · </span>
                <span className="visually-hidden">, </span>
                <span>{ballots(row.ballots)}</span>
              </span>
            </div>
            <div className="result-track" aria-hidden="true">
              <div className="result-bar" style={{ width: `${row.barPercent}%` }} />
            </div>
            {row.ballots > 0 && (
              <table className="score-distribution">
                <caption className="visually-hidden">Scores given to {row.text}</caption>
                <thead>
                  <tr>
                    <th scope="row">Score</th>
                    {row.distribution.map((d) => (
                      <th key={d.score} scope="col">
                        {d.score}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  <tr>
                    <th scope="row">Ballots</th>
                    {row.distribution.map((d) => (
                      <td key={d.score}>
                        <span className="score-cell-bar" aria-hidden="true">
                          <span style={{ height: `${d.share}%` }} />
                        </span>
                        {d.ballots}
                      </td>
                    ))}
                  </tr>
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
