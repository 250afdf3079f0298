import { describe, expect, it } from 'vitest';
import { checkChoice, choiceHint, isAtMaximum, toggleChoice, type ChoiceRules } from './choices';

const single: ChoiceRules = { kind: 'SINGLE', minChoices: 1, maxChoices: 1 };
const twoToThree: ChoiceRules = { kind: 'MULTIPLE', minChoices: 2, maxChoices: 3 };
const upToAll: ChoiceRules = { kind: 'MULTIPLE', minChoices: 1, maxChoices: 4 };
const ids = ['a', 'b', 'c', 'd'];

describe('checkChoice', () => {
  it('wants exactly one option in a SINGLE poll', () => {
    expect(checkChoice([], single)).toEqual({ ok: false, message: 'Choose an option first.' });
    expect(checkChoice(['a'], single)).toEqual({ ok: true });
    expect(checkChoice(['a', 'b'], single).ok).toBe(false);
  });

  it('keeps a MULTIPLE ballot within minChoices..maxChoices', () => {
    expect(checkChoice([], twoToThree)).toEqual({ ok: false, message: 'Choose at least 2 options first.' });
    expect(checkChoice(['a'], twoToThree)).toEqual({ ok: false, message: 'Choose at least 2 options (you chose 1).' });
    expect(checkChoice(['a', 'b'], twoToThree)).toEqual({ ok: true });
    expect(checkChoice(['a', 'b', 'c'], twoToThree)).toEqual({ ok: true });
    expect(checkChoice(['a', 'b', 'c', 'd'], twoToThree)).toEqual({ ok: false, message: 'Choose at most 3 options (you chose 4).' });
  });

  it('refuses the same option twice', () => {
    expect(checkChoice(['a', 'a'], twoToThree).ok).toBe(false);
  });
});

describe('toggleChoice', () => {
  it('replaces the choice in a SINGLE poll', () => {
    expect(toggleChoice(['a'], 'b', single, ids)).toEqual(['b']);
  });

  it('adds and removes in a MULTIPLE poll, in the poll’s order', () => {
    expect(toggleChoice(['c'], 'a', twoToThree, ids)).toEqual(['a', 'c']);
    expect(toggleChoice(['a', 'c'], 'a', twoToThree, ids)).toEqual(['c']);
  });

  it('does not go past maxChoices', () => {
    expect(toggleChoice(['a', 'b', 'c'], 'd', twoToThree, ids)).toEqual(['a', 'b', 'c']);
    expect(isAtMaximum(['a', 'b', 'c'], twoToThree)).toBe(true);
    expect(isAtMaximum(['a', 'b'], twoToThree)).toBe(false);
    expect(isAtMaximum(['a'], single)).toBe(false);
  });
});

describe('choiceHint', () => {
  it('says how many to choose', () => {
    expect(choiceHint(single)).toBe('Choose one option.');
    expect(choiceHint(twoToThree)).toBe('Choose 2 to 3 options.');
    expect(choiceHint(upToAll)).toBe('Choose up to 4 options.');
    expect(choiceHint({ kind: 'MULTIPLE', minChoices: 2, maxChoices: 2 })).toBe('Choose exactly 2 options.');
    expect(choiceHint({ kind: 'RANKED', minChoices: 1, maxChoices: 4 })).toBe('Rank up to 4 options, favourite first.');
    expect(choiceHint({ kind: 'SCORE', minChoices: 3, maxChoices: 3 })).toBe('Score exactly 3 options, each with a score.');
  });
});
