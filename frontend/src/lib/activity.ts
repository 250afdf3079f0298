// Pure helpers of the owner's activity chart: the window to ask for, the bars' scale and
// the sentence a screen reader hears instead of the picture.

export interface Bucket {
  start: string;
  cast: number;
  changed: number;
  retracted: number;
}

/** The two views the chart offers: the last hour per minute, the last two days per hour. */
export const VIEWS = {
  MINUTE: { label: 'Last hour, per minute', span: 60 * 60 * 1000 },
  HOUR: { label: 'Last 48 hours, per hour', span: 48 * 60 * 60 * 1000 },
} as const;
export type View = keyof typeof VIEWS;

/** Where the window starts: `span` before now, but never before the poll was created. */
export function windowStart(view: View, createdAt: string, now: number): string {
  const created = Date.parse(createdAt);
  const start = Math.max(now - VIEWS[view].span, Number.isNaN(created) ? 0 : created);
  return new Date(start).toISOString();
}

/** Events of a bucket, all actions together. */
export function eventsIn(bucket: Bucket): number {
  return bucket.cast + bucket.changed + bucket.retracted;
}

/** A round top for the y axis (1, 2, 5, 10, 20, 50, …) at or above the busiest bucket. */
export function niceMax(buckets: readonly Bucket[]): number {
  const peak = Math.max(1, ...buckets.map(eventsIn));
  let step = 1;
  for (;;) {
    for (const m of [1, 2, 5]) if (m * step >= peak) return m * step;
    step *= 10;
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** What the chart shows, in words: totals and the busiest bucket. */
export function summarize(buckets: readonly Bucket[], intervalSeconds: number, time: (iso: string) => string): string {
  const unit = intervalSeconds >= 3600 ? 'hour' : 'minute';
  const sum = (k: 'cast' | 'changed' | 'retracted') => buckets.reduce((n, b) => n + b[k], 0);
  const [cast, changed, retracted] = [sum('cast'), sum('changed'), sum('retracted')];
  if (cast + changed + retracted === 0) return `No votes in the last ${plural(buckets.length, unit)}.`;
  const busiest = buckets.reduce((best, b) => (eventsIn(b) > eventsIn(best) ? b : best));
  return (
    `${plural(cast, 'vote')} cast, ${plural(changed, 'change')} and ${plural(retracted, 'retraction')} ` +
    `in the last ${plural(buckets.length, unit)}. Busiest ${unit}: ${time(busiest.start)}, ` +
    `with ${plural(eventsIn(busiest), 'event')}.`
  );
}
