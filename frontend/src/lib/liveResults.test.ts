import { describe, expect, it } from 'vitest';
import { announcement, isNewer, latest, leaders, orderedOptions, percentText, votesText, type Tally } from './liveResults';

function tally(version: number, votes: [number, number], final = false, pollId = 'p1'): Tally {
  const total = votes[0] + votes[1];
  const pct = (n: number) => (total ? Math.round((n / total) * 1000) / 10 : 0);
  return {
    pollId,
    version,
    final,
    totalVotes: total,
    asOf: '2026-11-28T10:00:00Z',
    instantRunoff: null,
    scores: null,
    options: [
      { option: { id: 'b', text: 'Blue', position: 1 }, votes: votes[1], percentage: pct(votes[1]) },
      { option: { id: 'r', text: 'Red', position: 0 }, votes: votes[0], percentage: pct(votes[0]) },
    ],
  };
}

describe('version ordering of live results', () => {
  it('takes anything over nothing', () => {
    expect(isNewer(tally(0, [0, 0]), null)).toBe(true);
  });

  it('takes only a higher version', () => {
    const shown = tally(5, [2, 1]);
    expect(isNewer(tally(6, [3, 1]), shown)).toBe(true);
    expect(isNewer(tally(5, [2, 1]), shown)).toBe(false);
    expect(isNewer(tally(4, [1, 1]), shown)).toBe(false);
  });

  it('lets "final" through at the same version', () => {
    expect(isNewer(tally(5, [2, 1], true), tally(5, [2, 1]))).toBe(true);
    expect(isNewer(tally(5, [2, 1], false), tally(5, [2, 1], true))).toBe(false);
  });

  it('never rolls back when messages arrive out of order', () => {
    const arrivals = [tally(1, [1, 0]), tally(3, [2, 1]), tally(2, [2, 0]), tally(3, [2, 1]), tally(4, [2, 2])];
    const shown: number[] = [];
    let current: Tally | null = null;
    for (const incoming of arrivals) {
      current = latest(current, incoming);
      shown.push(current?.version ?? -1);
    }
    expect(shown).toEqual([1, 3, 3, 3, 4]);
    expect(current?.totalVotes).toBe(4);
  });

  it('keeps what it shows when nothing arrives', () => {
    const shown = tally(2, [1, 1]);
    expect(latest(shown, null)).toBe(shown);
    expect(latest(shown, undefined)).toBe(shown);
  });

  it('starts over for another poll', () => {
    expect(isNewer(tally(1, [0, 0], false, 'p2'), tally(9, [5, 4]))).toBe(true);
  });
});

describe('presentation helpers', () => {
  it('orders options by position and words counts', () => {
    expect(orderedOptions(tally(1, [1, 2])).map((o) => o.option.text)).toEqual(['Red', 'Blue']);
    expect(votesText(1)).toBe('1 vote');
    expect(votesText(0)).toBe('0 votes');
    expect(percentText(66.666)).toBe('66.7%');
    expect(percentText(0)).toBe('0.0%');
  });

  it('announces a short summary', () => {
    expect(announcement(tally(2, [2, 1]))).toBe('Results updated: 3 votes. Red 2 (66.7%), Blue 1 (33.3%).');
    expect(announcement(tally(3, [2, 1], true))).toMatch(/^Final results: /);
  });

  it('finds the leaders, ties included', () => {
    expect(leaders(tally(1, [2, 1]))).toEqual(['r']);
    expect(leaders(tally(1, [1, 1])).sort()).toEqual(['b', 'r']);
    expect(leaders(tally(1, [0, 0]))).toEqual([]);
  });
});
