import { CombinedError } from '@urql/core';
import { describe, expect, it } from 'vitest';
import {
  ApiFailure,
  apiErrors,
  errorsOf,
  describeError,
  errorsAt,
  errorsOutside,
  fieldKey,
  fieldWords,
  formErrors,
  fromGraphQLError,
  humanizeFieldMessage,
  optionIndex,
  retryAfter,
  type ApiError,
} from './errors';

describe('apiErrors', () => {
  it('reads code, field, retryAfterSeconds and path from GraphQL errors', () => {
    const error = new CombinedError({
      graphQLErrors: [
        { message: 'options.2 has 1 to 200 characters', extensions: { code: 'BAD_USER_INPUT', field: 'input.options.2' } },
        { message: 'too many requests, slow down', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 7 } },
        { message: 'results are shown once you have voted', path: ['poll', 'results'], extensions: { code: 'RESULTS_HIDDEN' } },
      ],
    });
    expect(apiErrors(error)).toEqual([
      { code: 'BAD_USER_INPUT', message: 'options.2 has 1 to 200 characters', field: 'input.options.2' },
      { code: 'RATE_LIMITED', message: 'too many requests, slow down', retryAfterSeconds: 7 },
      { code: 'RESULTS_HIDDEN', message: 'results are shown once you have voted', path: ['poll', 'results'] },
    ]);
  });

  it('turns a failed fetch into NETWORK', () => {
    const error = new CombinedError({ networkError: new TypeError('Failed to fetch') });
    expect(apiErrors(error)).toEqual([{ code: 'NETWORK', message: 'Failed to fetch' }]);
  });

  it('is empty without an error', () => {
    expect(apiErrors(undefined)).toEqual([]);
  });

  it('marks an error without a code as UNKNOWN and rounds waits up to whole seconds', () => {
    expect(fromGraphQLError({ message: 'odd' }).code).toBe('UNKNOWN');
    expect(fromGraphQLError({ message: 'busy', extensions: { code: 'OVERLOADED', retryAfterSeconds: 0.2 } }).retryAfterSeconds).toBe(1);
  });
});

describe('describeError', () => {
  const msg = (error: ApiError, online = true) => describeError(error, { online });

  it('has a message for people for every documented code', () => {
    expect(msg({ code: 'UNAUTHENTICATED', message: 'not signed in: token expired' })).toBe('Your session has ended. Please sign in again.');
    expect(msg({ code: 'USERNAME_TAKEN', message: 'that username is taken' })).toMatch(/taken/);
    expect(msg({ code: 'INVALID_CREDENTIALS', message: 'wrong username or password' })).toBe('Wrong username or password.');
    expect(msg({ code: 'ALREADY_VOTED', message: 'you have already voted in this poll' })).toBe('You have already voted in this poll.');
    expect(msg({ code: 'POLL_NOT_OPEN', message: 'this poll is closed' })).toBe('This poll is closed. Votes are not accepted now.');
    expect(msg({ code: 'INVALID_OPTION', message: 'choose at most 2 options' })).toBe('Choose at most 2 options.');
    expect(msg({ code: 'FORBIDDEN', message: 'this poll does not allow changing or retracting a vote' })).toBe(
      'This poll does not allow changing or retracting a vote.',
    );
    expect(msg({ code: 'NOT_FOUND', message: 'poll not found' })).toBe('Poll not found.');
    expect(msg({ code: 'IDEMPOTENCY_KEY_REUSED', message: 'x' })).toMatch(/try again/);
    expect(msg({ code: 'INTERNAL', message: 'internal error' })).toMatch(/on our side/);
    expect(msg({ code: 'TIMEOUT', message: 'x' })).toMatch(/too long/);
    expect(msg({ code: 'SOMETHING_NEW', message: 'x' })).toBe('Something went wrong (SOMETHING_NEW). Please try again.');
  });

  it('uses retryAfterSeconds for RATE_LIMITED and OVERLOADED', () => {
    expect(msg({ code: 'RATE_LIMITED', message: '', retryAfterSeconds: 12 })).toBe('Too many attempts. Please try again in 12 seconds.');
    expect(msg({ code: 'RATE_LIMITED', message: '', retryAfterSeconds: 1 })).toBe('Too many attempts. Please try again in 1 second.');
    expect(msg({ code: 'OVERLOADED', message: '' })).toBe('Tally is busy right now. Please try again in a moment.');
  });

  it('tells offline from an unreachable server', () => {
    expect(msg({ code: 'NETWORK', message: 'Failed to fetch' }, false)).toMatch(/^You are offline/);
    expect(msg({ code: 'NETWORK', message: 'Failed to fetch' }, true)).toMatch(/^Could not reach Tally/);
  });

  it('puts BAD_USER_INPUT field names in words', () => {
    expect(msg({ code: 'BAD_USER_INPUT', message: 'closesAt must be after opensAt', field: 'input.closesAt' })).toBe(
      'The closing time must be after the opening time.',
    );
  });
});

describe('retryAfter', () => {
  it('is the longest wait asked for, or undefined', () => {
    expect(retryAfter([{ code: 'RATE_LIMITED', message: '', retryAfterSeconds: 3 }, { code: 'OVERLOADED', message: '', retryAfterSeconds: 5 }])).toBe(5);
    expect(retryAfter([{ code: 'NETWORK', message: '' }])).toBeUndefined();
  });
});

describe('BAD_USER_INPUT field mapping', () => {
  it('strips the argument name from extensions.field', () => {
    expect(fieldKey('input.options.2')).toBe('options.2');
    expect(fieldKey('input.title')).toBe('title');
    expect(fieldKey('input.maxChoices')).toBe('maxChoices');
    expect(fieldKey('first')).toBe('first');
  });

  it('finds the option an error is about', () => {
    expect(optionIndex('options.2')).toBe(2);
    expect(optionIndex('options')).toBeUndefined();
    expect(optionIndex('title')).toBeUndefined();
    expect(fieldWords('options.0')).toBe('option 1');
  });

  it('puts each field error at its field and keeps the rest apart', () => {
    const errors: ApiError[] = [
      { code: 'BAD_USER_INPUT', message: 'options.2 has 1 to 200 characters', field: 'input.options.2' },
      { code: 'BAD_USER_INPUT', message: 'maxChoices is at most the number of options', field: 'input.maxChoices' },
      { code: 'BAD_USER_INPUT', message: 'title has 1 to 200 characters', field: 'input.title' },
      { code: 'RATE_LIMITED', message: 'too many requests, slow down', retryAfterSeconds: 4 },
    ];
    const { fields, general } = formErrors(errors);
    expect(fields).toEqual({
      'options.2': 'Option 3 has 1 to 200 characters.',
      maxChoices: 'The maximum number of choices is at most the number of options.',
      title: 'The title has 1 to 200 characters.',
    });
    expect(general.map((e) => e.code)).toEqual(['RATE_LIMITED']);
  });

  it('leaves the user’s own quoted text alone', () => {
    expect(humanizeFieldMessage('option "title" appears twice')).toBe('Option "title" appears twice');
  });
});

describe('errors by path', () => {
  const hidden: ApiError = { code: 'RESULTS_HIDDEN', message: '', path: ['poll', 'results'] };
  const other: ApiError = { code: 'UNAUTHENTICATED', message: '', path: ['poll', 'myVote'] };
  const global: ApiError = { code: 'NETWORK', message: '' };

  it('tells errors at a path from the rest', () => {
    expect(errorsAt([hidden, other, global], ['poll', 'results'])).toEqual([hidden]);
    expect(errorsOutside([hidden, other, global], ['poll', 'results'])).toEqual([other, global]);
  });
});

describe('humanizeFieldMessage', () => {
  it('names fields in words without mangling ordinary ones', () => {
    expect(humanizeFieldMessage('a poll has 2 to 20 options')).toBe('A poll has 2 to 20 options');
    expect(humanizeFieldMessage('options has 2 to 20 entries')).toBe('The options has 2 to 20 entries');
    expect(humanizeFieldMessage('a SINGLE poll has minChoices = maxChoices = 1')).toBe(
      'A SINGLE poll has the minimum number of choices = the maximum number of choices = 1',
    );
    expect(humanizeFieldMessage('username has 3 to 32 characters')).toBe('The username has 3 to 32 characters');
  });
});

describe('guest errors', () => {
  it('reads the polls of a CLAIM_CONFLICT', () => {
    expect(fromGraphQLError({ message: 'conflict', extensions: { code: 'CLAIM_CONFLICT', pollIds: ['a', 7, 'b'] } }).pollIds).toEqual(['a', 'b']);
  });

  it('words the guest codes for people', () => {
    expect(describeError({ code: 'GUESTS_NOT_ALLOWED', message: 'x' })).toBe('This poll takes votes from accounts only. Sign in or create an account to vote.');
    expect(describeError({ code: 'PROOF_OF_WORK_EXPIRED', message: 'x' })).toMatch(/ran out of time/);
    expect(describeError({ code: 'PROOF_OF_WORK_INVALID', message: 'x' })).toMatch(/did not pass/);
    expect(describeError({ code: 'CLAIM_CONFLICT', message: 'x' })).toMatch(/already voted/);
  });

  it('turns thrown values into errors', () => {
    expect(errorsOf(new ApiFailure([{ code: 'RATE_LIMITED', message: 'slow down' }]))).toEqual([{ code: 'RATE_LIMITED', message: 'slow down' }]);
    expect(errorsOf(new TypeError('Failed to fetch'))).toEqual([{ code: 'NETWORK', message: 'Failed to fetch' }]);
    expect(errorsOf('odd')).toEqual([{ code: 'UNKNOWN', message: 'odd' }]);
  });
});

