import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fieldId, initialPollForm, newOptionDraft, titleCounter, toCreatePollInput, validatePollForm, type PollFormState } from './pollForm';

const now = new Date('2026-11-28T12:00:00Z');
const originalTz = process.env.TZ;
beforeEach(() => {
  process.env.TZ = 'UTC';
});
afterEach(() => {
  process.env.TZ = originalTz;
});

function form(patch: Partial<PollFormState> = {}, options = ['Red', 'Blue', 'Green']): PollFormState {
  return { ...initialPollForm(), title: 'Colour?', options: options.map((t) => newOptionDraft(t)), ...patch };
}

describe('validatePollForm', () => {
  it('accepts a plain poll', () => {
    expect(validatePollForm(form(), now)).toEqual({});
  });

  it('wants a title of 1–200 characters', () => {
    expect(validatePollForm(form({ title: '   ' }), now).title).toBe('Enter a question.');
    expect(validatePollForm(form({ title: 'x'.repeat(201) }), now).title).toMatch(/200 characters/);
  });

  it('wants 2–20 non-empty, different options, each at its own field', () => {
    expect(validatePollForm(form({}, ['Only']), now).options).toMatch(/2 to 20/);
    expect(validatePollForm(form({}, Array.from({ length: 21 }, (_, i) => `o${i}`)), now).options).toMatch(/2 to 20/);
    const errors = validatePollForm(form({}, ['Red', '', ' red ', 'x'.repeat(201)]), now);
    expect(errors['options.1']).toBe('Enter option 2, or remove it.');
    expect(errors['options.2']).toBe('Option 3 is the same as option 1.');
    expect(errors['options.3']).toMatch(/200 characters/);
    expect(errors['options.0']).toBeUndefined();
  });

  it('does not offer removing an empty option when the poll has only the fewest options', () => {
    const errors = validatePollForm(form({}, ['', 'Blue']), now);
    expect(errors['options.0']).toBe('Enter option 1.');
  });

  it('counts the title as the user types, and warns near the limit', () => {
    expect(titleCounter('Lunch?')).toEqual({ text: '6 of 200 characters', over: false, near: false });
    expect(titleCounter('x'.repeat(185)).near).toBe(true);
    expect(titleCounter('x'.repeat(203))).toEqual({ text: '3 characters too many (203 of 200)', over: true, near: true });
    // Characters, not UTF-16 units: an emoji is one.
    expect(titleCounter('🍕').text).toBe('1 of 200 characters');
  });

  it('checks minChoices and maxChoices of a MULTIPLE poll', () => {
    expect(validatePollForm(form({ kind: 'MULTIPLE', minChoices: '2', maxChoices: '3' }), now)).toEqual({});
    expect(validatePollForm(form({ kind: 'MULTIPLE', maxChoices: '4' }), now).maxChoices).toMatch(/At most 3/);
    expect(validatePollForm(form({ kind: 'MULTIPLE', minChoices: '3', maxChoices: '2' }), now).maxChoices).toMatch(/at least the fewest/);
    expect(validatePollForm(form({ kind: 'MULTIPLE', minChoices: '0' }), now).minChoices).toBeDefined();
    expect(validatePollForm(form({ kind: 'MULTIPLE', minChoices: '1.5' }), now).minChoices).toBeDefined();
    expect(validatePollForm(form({ kind: 'MULTIPLE', minChoices: '4' }), now).minChoices).toMatch(/at least the fewest/);
    // SINGLE ignores them.
    expect(validatePollForm(form({ kind: 'SINGLE', minChoices: '9' }), now)).toEqual({});
  });

  it('checks how many options a RANKED ballot ranks', () => {
    expect(validatePollForm(form({ kind: 'RANKED' }), now)).toEqual({});
    expect(validatePollForm(form({ kind: 'RANKED', minChoices: '2', maxChoices: '3' }), now)).toEqual({});
    expect(validatePollForm(form({ kind: 'RANKED', maxChoices: '4' }), now).maxChoices).toMatch(/At most 3/);
    expect(validatePollForm(form({ kind: 'RANKED', minChoices: '4' }), now).minChoices).toMatch(/at least the fewest options ranked/);
    expect(validatePollForm(form({ kind: 'RANKED', minChoices: '3', maxChoices: '2' }), now).maxChoices).toBe(
      'The most options ranked must be at least the fewest options ranked.',
    );
  });

  it("checks a SCORE poll's range against the server's limits", () => {
    expect(validatePollForm(form({ kind: 'SCORE' }), now)).toEqual({});
    expect(validatePollForm(form({ kind: 'SCORE', scoreMin: '-10', scoreMax: '0' }), now)).toEqual({});
    expect(validatePollForm(form({ kind: 'SCORE', scoreMin: '-11' }), now).scoreMin).toMatch(/from -10 to 100/);
    expect(validatePollForm(form({ kind: 'SCORE', scoreMax: '101' }), now).scoreMax).toMatch(/from -10 to 100/);
    expect(validatePollForm(form({ kind: 'SCORE', scoreMin: '5' }), now).scoreMin).toBe('The highest score must be above the lowest (5).');
    expect(validatePollForm(form({ kind: 'SCORE', scoreMin: '3', scoreMax: '3' }), now).scoreMax).toMatch(/above the lowest/);
    expect(validatePollForm(form({ kind: 'SCORE', scoreMin: '0', scoreMax: '11' }), now).scoreMax).toBe(
      'Keep the range to 11 scores at most (0 to 10).',
    );
    expect(validatePollForm(form({ kind: 'SCORE', scoreMin: '1.5' }), now).scoreMin).toBeDefined();
    // SCORE's fewest scored defaults to all options, so a lower "most" is a mistake.
    expect(validatePollForm(form({ kind: 'SCORE', maxChoices: '2' }), now).maxChoices).toMatch(/at least the fewest options scored/);
    expect(validatePollForm(form({ kind: 'SCORE', minChoices: '1', maxChoices: '2' }), now)).toEqual({});
    // Other kinds ignore the range.
    expect(validatePollForm(form({ kind: 'RANKED', scoreMin: 'x' }), now)).toEqual({});
  });

  it('wants closesAt in the future and after opensAt', () => {
    expect(validatePollForm(form({ closesAt: '2026-11-28T11:00' }), now).closesAt).toMatch(/future/);
    expect(validatePollForm(form({ opensAt: '2026-12-02T10:00', closesAt: '2026-12-01T10:00' }), now).closesAt).toMatch(/after the opening/);
    expect(validatePollForm(form({ opensAt: '2026-12-01T10:00', closesAt: '2026-12-02T10:00' }), now)).toEqual({});
    expect(validatePollForm(form({ opensAt: 'soon' }), now).opensAt).toBeDefined();
  });
});

describe('toCreatePollInput', () => {
  it('sends every setting, trimmed, with times as RFC 3339 with offset', () => {
    const input = toCreatePollInput(
      form({
        title: '  Colour? ',
        description: ' Pick one. ',
        kind: 'MULTIPLE',
        minChoices: '1',
        maxChoices: '2',
        opensAt: '2026-12-01T10:00',
        closesAt: '2026-12-02T18:30',
        resultsVisibility: 'AFTER_VOTE',
        allowVoteChange: true,
        listing: 'LISTED',
        voters: 'GUESTS',
        anonymous: true,
      }, [' Red', 'Blue ', 'Green']),
    );
    expect(input).toEqual({
      title: 'Colour?',
      description: 'Pick one.',
      options: ['Red', 'Blue', 'Green'],
      kind: 'MULTIPLE',
      minChoices: 1,
      maxChoices: 2,
      opensAt: '2026-12-01T10:00:00+00:00',
      closesAt: '2026-12-02T18:30:00+00:00',
      resultsVisibility: 'AFTER_VOTE',
      allowVoteChange: true,
      listing: 'LISTED',
      voters: 'GUESTS',
      anonymous: true,
    });
  });

  it('leaves out what is empty, and choice limits of a SINGLE poll', () => {
    expect(toCreatePollInput(form({ minChoices: '2' }))).toEqual({
      title: 'Colour?',
      options: ['Red', 'Blue', 'Green'],
      kind: 'SINGLE',
      resultsVisibility: 'ALWAYS',
      allowVoteChange: false,
      listing: 'UNLISTED',
      voters: 'ACCOUNTS',
      anonymous: false,
    });
  });

  it('sends ranking counts for RANKED, and the range only for SCORE', () => {
    expect(toCreatePollInput(form({ kind: 'RANKED', minChoices: '2', scoreMin: '1' }))).toMatchObject({ kind: 'RANKED', minChoices: 2 });
    expect(toCreatePollInput(form({ kind: 'RANKED', scoreMin: '1' })).scoreMin).toBeUndefined();
    expect(toCreatePollInput(form({ kind: 'SCORE', scoreMin: '1', scoreMax: '10', maxChoices: '3' }))).toMatchObject({
      kind: 'SCORE',
      maxChoices: 3,
      scoreMin: 1,
      scoreMax: 10,
    });
    const defaults = toCreatePollInput(form({ kind: 'SCORE' }));
    expect('scoreMin' in defaults || 'scoreMax' in defaults || 'minChoices' in defaults).toBe(false);
  });

  it('sends a new poll unlisted unless the owner lists it', () => {
    expect(initialPollForm().listing).toBe('UNLISTED');
    expect(toCreatePollInput(form()).listing).toBe('UNLISTED');
    expect(toCreatePollInput(form({ listing: 'LISTED' })).listing).toBe('LISTED');
  });

  it('asks for accounts and names ballots unless the owner chooses otherwise', () => {
    expect(initialPollForm()).toMatchObject({ voters: 'ACCOUNTS', anonymous: false });
    expect(toCreatePollInput(form({ voters: 'INVITED' })).voters).toBe('INVITED');
    expect(toCreatePollInput(form({ anonymous: true })).anonymous).toBe(true);
  });

  it('keeps option positions, so input.options.N errors land on the right input', () => {
    const state = form({}, ['a', 'b', 'c']);
    expect(toCreatePollInput(state).options[2]).toBe(state.options[2]?.text);
    expect(fieldId('options.2')).toBe('poll-options-2');
  });
});
