import { describe, expect, it } from 'vitest';
import { checkScores, draftFrom, scoreHint, scoreSteps, scoringOptional, setScore, toScoreInputs, type ScoreRules } from './scoreBallot';

const every: ScoreRules = { min: 0, max: 5, minChoices: 3, maxChoices: 3, optionCount: 3 };
const some: ScoreRules = { min: -2, max: 2, minChoices: 1, maxChoices: 2, optionCount: 3 };

describe('a SCORE ballot', () => {
  it('offers every score of the range, lowest first', () => {
    expect(scoreSteps(every)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(scoreSteps(some)).toEqual([-2, -1, 0, 1, 2]);
  });

  it('offers "No score" only when options may be left out', () => {
    expect(scoringOptional(every)).toBe(false);
    expect(scoringOptional(some)).toBe(true);
  });

  it('wants every option scored when the poll says so', () => {
    expect(checkScores({}, every)).toEqual({ ok: false, message: 'Score at least 3 options first.' });
    expect(checkScores({ a: 1, b: 5 }, every)).toEqual({ ok: false, message: 'Give every option a score (2 of 3 scored).' });
    expect(checkScores({ a: 1, b: 5, c: 0 }, every)).toEqual({ ok: true });
  });

  it('keeps the count within minChoices..maxChoices and scores within the range', () => {
    expect(checkScores({ a: -2 }, some)).toEqual({ ok: true });
    expect(checkScores({ a: 1, b: 1, c: 1 }, some)).toEqual({ ok: false, message: 'Score at most 2 options (you scored 3).' });
    expect(checkScores({ a: 3 }, some)).toEqual({ ok: false, message: 'Scores go from -2 to 2.' });
    expect(checkScores({ a: 0.5 }, some).ok).toBe(false);
  });

  it('sets and clears scores, and sends them in the poll order', () => {
    let draft = setScore({}, 'c', 4);
    draft = setScore(draft, 'a', 0);
    draft = setScore(draft, 'b', 2);
    draft = setScore(draft, 'b', null);
    expect(toScoreInputs(draft, ['a', 'b', 'c'])).toEqual([
      { optionId: 'a', score: 0 },
      { optionId: 'c', score: 4 },
    ]);
    expect(draftFrom([{ option: { id: 'a' }, score: 3 }])).toEqual({ a: 3 });
  });

  it('tells the voter the range and how many to score', () => {
    expect(scoreHint(every)).toBe('Give every option a score from 0 (worst) to 5 (best).');
    expect(scoreHint(some)).toBe('Score 1 to 2 options, from -2 (worst) to 2 (best).');
    expect(scoreHint({ ...some, maxChoices: 3 })).toBe('Score the options you have a view on, from -2 (worst) to 2 (best).');
  });
});
