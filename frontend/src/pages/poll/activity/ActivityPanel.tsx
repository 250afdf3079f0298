// The owner's votes-over-time chart: ballots cast per minute (or hour) from the audit
// log, with changes and retractions stacked in their own colours, so a burst stands out.
// A plain SVG (no chart library); a screen reader gets a summary sentence and the table
// of busy buckets. Loaded lazily: voters never download it.
import { useEffect, useMemo, useState } from 'react';
import { useQuery } from 'urql';
import { PollActivityQuery } from '../../../api/activityDocuments';
import { apiErrors, describeError } from '../../../api/errors';
import { Notice } from '../../../components/Notice';
import { eventsIn, niceMax, summarize, VIEWS, windowStart, type Bucket, type View } from '../../../lib/activity';
import './activity.css';

/** Least time between two reloads while votes stream in. */
const RELOAD_MIN_MS = 5000;

interface ActivityPanelProps {
  pollId: string;
  createdAt: string;
  /** The live tally's version: the chart reloads (at most every 5 s) when it moves. */
  version: number | null;
}

export default function ActivityPanel({ pollId, createdAt, version }: ActivityPanelProps) {
  const [view, setView] = useState<View>('MINUTE');
  // The window is fixed when asked for, so urql's cache key stays stable between reloads.
  const [asked, setAsked] = useState(() => Date.now());
  const since = useMemo(() => windowStart(view, createdAt, asked), [view, createdAt, asked]);
  const [{ data, error, fetching }] = useQuery({
    query: PollActivityQuery,
    variables: { id: pollId, interval: view, since },
    requestPolicy: 'cache-and-network',
  });

  useEffect(() => {
    if (version === null) return;
    const wait = Math.max(0, asked + RELOAD_MIN_MS - Date.now());
    const timer = window.setTimeout(() => setAsked(Date.now()), wait);
    return () => window.clearTimeout(timer);
    // Only a new version schedules a reload; `asked` moving is the reload itself.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [version]);

  const activity = data?.poll?.activity ?? null;
  const problem = error ? apiErrors(error).map((e) => describeError(e, {})).join(' ') : null;

  return (
    <section className="card activity-panel" aria-labelledby="activity-title" data-testid="activity">
      <h2 id="activity-title">Activity</h2>
      <label className="activity-view">
        <span>Show</span>{' '}
        <select value={view} onChange={(e) => setView(e.target.value as View)}>
          {(Object.keys(VIEWS) as View[]).map((v) => (
            <option key={v} value={v}>
              {VIEWS[v].label}
            </option>
          ))}
        </select>
      </label>
      {problem && (
        <Notice tone="error">
          <p>{problem}</p>
        </Notice>
      )}
      {activity ? (
        <Chart buckets={activity.buckets} intervalSeconds={activity.intervalSeconds} />
      ) : (
        !problem && <p className="loading">{fetching ? 'Loading activity…' : ''}</p>
      )}
    </section>
  );
}

const WIDTH = 320;
const HEIGHT = 120;
const LEFT = 28;
const BOTTOM = 18;

function clock(iso: string, hourly: boolean): string {
  const options: Intl.DateTimeFormatOptions = hourly
    ? { weekday: 'short', hour: '2-digit', minute: '2-digit' }
    : { hour: '2-digit', minute: '2-digit' };
  return new Date(iso).toLocaleTimeString(undefined, options);
}

function Chart({ buckets, intervalSeconds }: { buckets: readonly Bucket[]; intervalSeconds: number }) {
  const hourly = intervalSeconds >= 3600;
  const time = (iso: string) => clock(iso, hourly);
  const top = niceMax(buckets);
  const plotW = WIDTH - LEFT;
  const plotH = HEIGHT - BOTTOM;
  const slot = plotW / Math.max(1, buckets.length);
  const y = (n: number) => (n / top) * plotH;
  const summary = summarize(buckets, intervalSeconds, time);
  const busy = buckets.filter((b) => eventsIn(b) > 0);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];

  return (
    <figure className="activity-figure">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby="activity-summary"
        className="activity-chart"
        data-testid="activity-chart"
        preserveAspectRatio="none"
      >
        <line x1={LEFT} y1={plotH} x2={WIDTH} y2={plotH} className="axis" />
        <line x1={LEFT} y1={0} x2={WIDTH} y2={0} className="gridline" />
        <text x={LEFT - 4} y={8} className="tick" textAnchor="end">
          {top}
        </text>
        <text x={LEFT - 4} y={plotH} className="tick" textAnchor="end">
          0
        </text>
        {buckets.map((b, i) => {
          const x = LEFT + i * slot + slot * 0.1;
          const w = Math.max(0.5, slot * 0.8);
          let base = plotH;
          return (
            <g key={b.start} data-events={eventsIn(b)}>
              {(['cast', 'changed', 'retracted'] as const).map((k) => {
                if (b[k] === 0) return null;
                const h = y(b[k]);
                base -= h;
                return <rect key={k} x={x} y={base} width={w} height={h} className={`bar-${k}`} />;
              })}
            </g>
          );
        })}
        {first && last && (
          <>
            <text x={LEFT} y={HEIGHT - 4} className="tick">
              {time(first.start)}
            </text>
            <text x={WIDTH} y={HEIGHT - 4} className="tick" textAnchor="end">
              {time(last.start)}
            </text>
          </>
        )}
      </svg>
      <figcaption id="activity-summary" data-testid="activity-summary">
        {summary}
      </figcaption>
      <ul className="activity-legend" aria-hidden="true">
        <li><span className="swatch bar-cast" /> Cast</li>
        <li><span className="swatch bar-changed" /> Changed</li>
        <li><span className="swatch bar-retracted" /> Retracted</li>
      </ul>
      {busy.length > 0 && (
        <details className="activity-table">
          <summary>Show as a table</summary>
          <table>
            <thead>
              <tr>
                <th scope="col">{hourly ? 'Hour' : 'Minute'}</th>
                <th scope="col">Cast</th>
                <th scope="col">Changed</th>
                <th scope="col">Retracted</th>
              </tr>
            </thead>
            <tbody>
              {busy.map((b) => (
                <tr key={b.start}>
                  <th scope="row">{time(b.start)}</th>
                  <td>{b.cast}</td>
                  <td>{b.changed}</td>
                  <td>{b.retracted}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </figure>
  );
}
