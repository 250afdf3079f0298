// Which option sets a ballot may choose: `minChoices`..`maxChoices` distinct options.
// (RANKED ballots are built in lib/ranking.ts, SCORE ballots in lib/scoreBallot.ts.)
import type { PollKind } from '../gql/graphql';

export interface ChoiceRules {
  kind: PollKind;
  minChoices: number;
  maxChoices: number;
}

export type ChoiceCheck = { ok: true } | { ok: false; message: string };

function options(n: number): string {
  return n === 1 ? '1 option' : `${n} options`;
}

/** What to tell a voter before they choose. */
export function choiceHint({ kind, minChoices, maxChoices }: ChoiceRules): string {
  if (kind === 'SINGLE') return 'Choose one option.';
  const [verb, tail] =
    kind === 'RANKED' ? ['Rank', ', favourite first'] : kind === 'SCORE' ? ['Score', ', each with a score'] : ['Choose', ''];
  if (minChoices === maxChoices) return `${verb} exactly ${options(minChoices)}${tail}.`;
  if (minChoices <= 1) return `${verb} up to ${options(maxChoices)}${tail}.`;
  return `${verb} ${minChoices} to ${maxChoices} options${tail}.`;
}

/** Whether `selected` is a ballot the poll accepts, and if not, why (for people). */
export function checkChoice(selected: readonly string[], rules: ChoiceRules): ChoiceCheck {
  const count = new Set(selected).size;
  if (count !== selected.length) return { ok: false, message: 'Each option can be chosen once.' };
  if (count === 0) {
    return { ok: false, message: rules.kind === 'SINGLE' ? 'Choose an option first.' : `Choose at least ${options(rules.minChoices)} first.` };
  }
  if (count < rules.minChoices) {
    return { ok: false, message: `Choose at least ${options(rules.minChoices)} (you chose ${count}).` };
  }
  if (count > rules.maxChoices) {
    return { ok: false, message: `Choose at most ${options(rules.maxChoices)} (you chose ${count}).` };
  }
  return { ok: true };
}

/**
 * The selection after the voter toggles `optionId`. SINGLE replaces the choice; MULTIPLE
 * adds or removes it, refusing to go past `maxChoices`. Order follows `allIds`.
 */
export function toggleChoice(
  selected: readonly string[],
  optionId: string,
  rules: ChoiceRules,
  allIds: readonly string[],
): string[] {
  if (rules.kind === 'SINGLE') return [optionId];
  const set = new Set(selected);
  if (set.has(optionId)) set.delete(optionId);
  else if (set.size < rules.maxChoices) set.add(optionId);
  return allIds.filter((id) => set.has(id));
}

/** Whether an unchosen option can no longer be added (MULTIPLE at its maximum). */
export function isAtMaximum(selected: readonly string[], rules: ChoiceRules): boolean {
  return rules.kind === 'MULTIPLE' && new Set(selected).size >= rules.maxChoices;
}
