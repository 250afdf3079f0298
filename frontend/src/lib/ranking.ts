// A RANKED ballot as the voter builds it: an ordered list of option ids, most preferred
// first. Every edit (add, remove, move by buttons, keys or drag) is a pure function here,
// so the page only renders and the rules are tested once.

/** How many options a ranking holds at least and at most (the poll's minChoices/maxChoices). */
export interface RankingRules {
  minChoices: number;
  maxChoices: number;
  /** Options in the poll. */
  optionCount: number;
}

export type RankingCheck = { ok: true } | { ok: false; message: string };

function options(n: number): string {
  return n === 1 ? '1 option' : `${n} options`;
}

/** What to tell a voter before they rank. */
export function rankingHint({ minChoices, maxChoices, optionCount }: RankingRules): string {
  const most = Math.min(maxChoices, optionCount);
  const how =
    minChoices >= most
      ? most === optionCount
        ? 'Rank every option'
        : `Rank exactly ${options(most)}`
      : minChoices <= 1
        ? most === optionCount
          ? 'Rank as many options as you like'
          : `Rank up to ${options(most)}`
        : `Rank ${minChoices} to ${most} options`;
  return `${how}, your favourite first. If your first choice is eliminated, your vote moves to your next choice.`;
}

/** Whether `ranking` is a ballot the poll accepts, and if not, why (for people). */
export function checkRanking(ranking: readonly string[], rules: RankingRules): RankingCheck {
  if (new Set(ranking).size !== ranking.length) return { ok: false, message: 'Each option can be ranked once.' };
  if (ranking.length === 0) return { ok: false, message: `Rank at least ${options(Math.max(1, rules.minChoices))} first.` };
  if (ranking.length < rules.minChoices) {
    return { ok: false, message: `Rank at least ${options(rules.minChoices)} (you ranked ${ranking.length}).` };
  }
  if (ranking.length > rules.maxChoices) {
    return { ok: false, message: `Rank at most ${options(rules.maxChoices)} (you ranked ${ranking.length}).` };
  }
  return { ok: true };
}

/** Whether no further option may be added. */
export function isRankingFull(ranking: readonly string[], rules: RankingRules): boolean {
  return ranking.length >= Math.min(rules.maxChoices, rules.optionCount);
}

/** `id` appended at the bottom; unchanged when it is already ranked or the ranking is full. */
export function addToRanking(ranking: readonly string[], id: string, rules: RankingRules): string[] {
  if (ranking.includes(id) || isRankingFull(ranking, rules)) return [...ranking];
  return [...ranking, id];
}

/** `id` taken out; the options below it move up one place. */
export function removeFromRanking(ranking: readonly string[], id: string): string[] {
  return ranking.filter((r) => r !== id);
}

/** The item at `from` moved to index `to` (clamped to the list); others keep their order. */
export function moveTo(ranking: readonly string[], from: number, to: number): string[] {
  if (from < 0 || from >= ranking.length) return [...ranking];
  const target = Math.max(0, Math.min(ranking.length - 1, to));
  const next = [...ranking];
  const [item] = next.splice(from, 1);
  if (item === undefined) return [...ranking];
  next.splice(target, 0, item);
  return next;
}

/** `id` moved `delta` places (negative: up, towards first preference). */
export function moveBy(ranking: readonly string[], id: string, delta: number): string[] {
  const from = ranking.indexOf(id);
  return from < 0 ? [...ranking] : moveTo(ranking, from, from + delta);
}

/**
 * The index the dragged item (now at `from`) belongs at when the pointer is at `y`, given
 * the vertical extent of each item as laid out now: the number of OTHER items whose
 * middle the pointer has passed. The item therefore swaps with a neighbour only once the
 * pointer crosses that neighbour's middle, and the new layout gives the same answer again
 * (no flicker back and forth).
 */
export function indexAtPoint(y: number, rects: ReadonlyArray<{ top: number; bottom: number }>, from: number): number {
  let passed = 0;
  rects.forEach((rect, i) => {
    if (i !== from && (rect.top + rect.bottom) / 2 < y) passed += 1;
  });
  return passed;
}

/** The live-region sentence after a move: "Pizza moved to position 2 of 4." */
export function movedText(text: string, ranking: readonly string[], id: string): string {
  return `${text} moved to position ${ranking.indexOf(id) + 1} of ${ranking.length}.`;
}

/** The live-region sentence after adding: "Pizza ranked 3 of 3." */
export function addedText(text: string, ranking: readonly string[], id: string): string {
  return `${text} ranked ${ranking.indexOf(id) + 1} of ${ranking.length}.`;
}

/** The live-region sentence after removing. */
export function removedText(text: string, ranking: readonly string[]): string {
  return `${text} removed from your ranking. ${ranking.length === 1 ? '1 option' : `${ranking.length} options`} ranked.`;
}

/** "1st", "2nd", "3rd", "4th", … for position labels. */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  switch (n % 10) {
    case 1:
      return `${n}st`;
    case 2:
      return `${n}nd`;
    case 3:
      return `${n}rd`;
    default:
      return `${n}th`;
  }
}
