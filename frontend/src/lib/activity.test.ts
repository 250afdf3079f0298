import { describe, expect, it } from 'vitest';
import { niceMax, summarize, windowStart, type Bucket } from './activity';

const b = (start: string, cast: number, changed = 0, retracted = 0): Bucket => ({ start, cast, changed, retracted });

describe('activity chart helpers', () => {
  it('starts the window at the poll creation when it is younger than the view', () => {
    const now = Date.parse('2026-12-07T10:30:00Z');
    expect(windowStart('MINUTE', '2026-12-07T10:10:00Z', now)).toBe('2026-12-07T10:10:00.000Z');
    expect(windowStart('MINUTE', '2026-12-01T00:00:00Z', now)).toBe('2026-12-07T09:30:00.000Z');
  });

  it('rounds the scale up to 1, 2 or 5 times a power of ten', () => {
    expect(niceMax([])).toBe(1);
    expect(niceMax([b('a', 3)])).toBe(5);
    expect(niceMax([b('a', 11, 2, 1)])).toBe(20);
    expect(niceMax([b('a', 0), b('b', 50)])).toBe(50);
  });

  it('says the totals and the busiest minute in words', () => {
    const text = summarize([b('t1', 1), b('t2', 7, 1, 1), b('t3', 0)], 60, (t) => t);
    expect(text).toBe('8 votes cast, 1 change and 1 retraction in the last 3 minutes. Busiest minute: t2, with 9 events.');
    expect(summarize([b('t1', 0)], 3600, (t) => t)).toBe('No votes in the last 1 hour.');
  });
});
