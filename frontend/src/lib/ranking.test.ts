import { describe, expect, it } from 'vitest';
import {
  addedText,
  addToRanking,
  checkRanking,
  indexAtPoint,
  isRankingFull,
  moveBy,
  movedText,
  moveTo,
  ordinal,
  rankingHint,
  removedText,
  removeFromRanking,
  type RankingRules,
} from './ranking';

const all: RankingRules = { minChoices: 1, maxChoices: 4, optionCount: 4 };
const twoOrThree: RankingRules = { minChoices: 2, maxChoices: 3, optionCount: 4 };

describe('building a ranking', () => {
  it('adds at the bottom, once, and not past the most the poll allows', () => {
    expect(addToRanking([], 'a', all)).toEqual(['a']);
    expect(addToRanking(['a'], 'b', all)).toEqual(['a', 'b']);
    expect(addToRanking(['a', 'b'], 'a', all)).toEqual(['a', 'b']);
    expect(addToRanking(['a', 'b', 'c'], 'd', twoOrThree)).toEqual(['a', 'b', 'c']);
    expect(isRankingFull(['a', 'b', 'c'], twoOrThree)).toBe(true);
    expect(isRankingFull(['a', 'b'], twoOrThree)).toBe(false);
  });

  it('removes an option and closes the gap', () => {
    expect(removeFromRanking(['a', 'b', 'c'], 'b')).toEqual(['a', 'c']);
    expect(removeFromRanking(['a'], 'z')).toEqual(['a']);
  });

  it('moves one place up or down, and stops at the ends', () => {
    expect(moveBy(['a', 'b', 'c', 'd'], 'c', -1)).toEqual(['a', 'c', 'b', 'd']);
    expect(moveBy(['a', 'b', 'c', 'd'], 'b', 1)).toEqual(['a', 'c', 'b', 'd']);
    expect(moveBy(['a', 'b', 'c'], 'a', -1)).toEqual(['a', 'b', 'c']);
    expect(moveBy(['a', 'b', 'c'], 'c', 1)).toEqual(['a', 'b', 'c']);
    expect(moveBy(['a', 'b', 'c'], 'z', 1)).toEqual(['a', 'b', 'c']);
  });

  it('moves to the top or bottom (Home and End) and to any index (drag), clamped', () => {
    expect(moveBy(['a', 'b', 'c', 'd'], 'c', -4)).toEqual(['c', 'a', 'b', 'd']);
    expect(moveBy(['a', 'b', 'c', 'd'], 'b', 4)).toEqual(['a', 'c', 'd', 'b']);
    expect(moveTo(['a', 'b', 'c', 'd'], 3, 1)).toEqual(['a', 'd', 'b', 'c']);
    expect(moveTo(['a', 'b'], 5, 0)).toEqual(['a', 'b']);
  });

  it('never loses or duplicates an option, whatever the moves', () => {
    let ranking = ['a', 'b', 'c', 'd', 'e'];
    const moves: Array<[number, number]> = [[0, 4], [4, 0], [2, 2], [1, 3], [3, -7], [0, 99]];
    for (const [from, to] of moves) {
      ranking = moveTo(ranking, from, to);
      expect([...ranking].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    }
  });
});

describe('dragging', () => {
  // Four rows of 50 px with 10 px gaps: midpoints at 25, 85, 145, 205.
  const rects = [0, 60, 120, 180].map((top) => ({ top, bottom: top + 50 }));

  it('moves the dragged item past the middles of the other items the pointer passed', () => {
    // Dragging the first item: its own middle does not count.
    expect(indexAtPoint(-40, rects, 0)).toBe(0);
    expect(indexAtPoint(40, rects, 0)).toBe(0);
    expect(indexAtPoint(86, rects, 0)).toBe(1);
    expect(indexAtPoint(150, rects, 0)).toBe(2);
    expect(indexAtPoint(900, rects, 0)).toBe(3);
    // Dragging the last item up.
    expect(indexAtPoint(150, rects, 3)).toBe(3);
    expect(indexAtPoint(140, rects, 3)).toBe(2);
    expect(indexAtPoint(20, rects, 3)).toBe(0);
    expect(indexAtPoint(10, [], 0)).toBe(0);
  });

  it('gives the same place again once the list is laid out anew (no flicker)', () => {
    let ranking = ['a', 'b', 'c', 'd'];
    const to = indexAtPoint(90, rects, 0);
    ranking = moveTo(ranking, 0, to);
    expect(ranking).toEqual(['b', 'a', 'c', 'd']);
    // Same row heights after the move: the pointer has not moved, neither does the item.
    expect(indexAtPoint(90, rects, ranking.indexOf('a'))).toBe(1);
  });
});

describe('checking a ranking', () => {
  it('wants between minChoices and maxChoices distinct options', () => {
    expect(checkRanking([], all)).toEqual({ ok: false, message: 'Rank at least 1 option first.' });
    expect(checkRanking(['a'], twoOrThree)).toEqual({ ok: false, message: 'Rank at least 2 options (you ranked 1).' });
    expect(checkRanking(['a', 'b'], twoOrThree)).toEqual({ ok: true });
    expect(checkRanking(['a', 'b', 'c', 'd'], twoOrThree)).toEqual({ ok: false, message: 'Rank at most 3 options (you ranked 4).' });
    expect(checkRanking(['a', 'a'], all).ok).toBe(false);
  });

  it('tells the voter what to do before they start', () => {
    expect(rankingHint(all)).toMatch(/^Rank as many options as you like, your favourite first\./);
    expect(rankingHint(twoOrThree)).toMatch(/^Rank 2 to 3 options/);
    expect(rankingHint({ minChoices: 4, maxChoices: 4, optionCount: 4 })).toMatch(/^Rank every option/);
    expect(rankingHint({ minChoices: 2, maxChoices: 2, optionCount: 4 })).toMatch(/^Rank exactly 2 options/);
    expect(rankingHint({ minChoices: 1, maxChoices: 2, optionCount: 4 })).toMatch(/^Rank up to 2 options/);
  });
});

describe('what screen readers hear', () => {
  it('says where an option moved, was added, or that it left', () => {
    const ranking = ['a', 'p', 'c', 'd'];
    expect(movedText('Pizza', ranking, 'p')).toBe('Pizza moved to position 2 of 4.');
    expect(addedText('Pizza', ['a', 'p'], 'p')).toBe('Pizza ranked 2 of 2.');
    expect(removedText('Pizza', ['a'])).toBe('Pizza removed from your ranking. 1 option ranked.');
    expect(removedText('Pizza', ['a', 'b'])).toBe('Pizza removed from your ranking. 2 options ranked.');
  });

  it('writes positions as ordinals', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal)).toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st']);
  });
});
