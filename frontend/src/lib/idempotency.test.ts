import { describe, expect, it } from 'vitest';
import { attemptFor, keepKeyAfter, newIdempotencyKey } from './idempotency';

function keys() {
  let n = 0;
  return () => `key-${++n}`;
}

describe('idempotency keys per intended vote', () => {
  it('makes printable-ASCII keys of 1–255 characters, new each time', () => {
    const a = newIdempotencyKey();
    const b = newIdempotencyKey();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\x21-\x7e]{1,255}$/);
  });

  it('reuses the key for a retry of the same vote', () => {
    const make = keys();
    const first = attemptFor(null, 'cast', { optionIds: ['b', 'a'] }, make);
    expect(first.key).toBe('key-1');
    expect(attemptFor(first, 'cast', { optionIds: ['a', 'b'] }, make)).toBe(first);
  });

  it('uses a new key for other options or another action', () => {
    const make = keys();
    const first = attemptFor(null, 'cast', { optionIds: ['a'] }, make);
    expect(attemptFor(first, 'cast', { optionIds: ['b'] }, make).key).toBe('key-2');
    expect(attemptFor(first, 'change', { optionIds: ['a'] }, make).key).toBe('key-3');
    expect(attemptFor(first, 'retract', { optionIds: [] }, make).key).toBe('key-4');
  });

  it('tells rankings apart by order, and scores by value', () => {
    const make = keys();
    const ranked = attemptFor(null, 'cast', { optionIds: ['a', 'b'], ordered: true }, make);
    expect(attemptFor(ranked, 'cast', { optionIds: ['a', 'b'], ordered: true }, make)).toBe(ranked);
    expect(attemptFor(ranked, 'cast', { optionIds: ['b', 'a'], ordered: true }, make).key).toBe('key-2');
    const scored = attemptFor(null, 'cast', { optionIds: [], scores: [{ optionId: 'a', score: 3 }, { optionId: 'b', score: 1 }] }, make);
    expect(attemptFor(scored, 'cast', { optionIds: [], scores: [{ optionId: 'b', score: 1 }, { optionId: 'a', score: 3 }] }, make)).toBe(scored);
    expect(attemptFor(scored, 'cast', { optionIds: [], scores: [{ optionId: 'a', score: 4 }, { optionId: 'b', score: 1 }] }, make).key).toBe('key-4');
  });

  it('keeps the key only when the outcome is unknown or the server asks for a retry', () => {
    expect(keepKeyAfter([{ code: 'NETWORK', message: '' }])).toBe(true);
    expect(keepKeyAfter([{ code: 'TIMEOUT', message: '' }])).toBe(true);
    expect(keepKeyAfter([{ code: 'OVERLOADED', message: '', retryAfterSeconds: 1 }])).toBe(true);
    expect(keepKeyAfter([{ code: 'RATE_LIMITED', message: '', retryAfterSeconds: 1 }])).toBe(true);
    expect(keepKeyAfter([{ code: 'ALREADY_VOTED', message: '' }])).toBe(false);
    expect(keepKeyAfter([{ code: 'IDEMPOTENCY_KEY_REUSED', message: '' }])).toBe(false);
    expect(keepKeyAfter([{ code: 'INVALID_OPTION', message: '' }])).toBe(false);
    expect(keepKeyAfter([])).toBe(false);
  });
});
