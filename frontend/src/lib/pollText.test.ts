import { describe, expect, it } from 'vitest';
import { visibilityShown } from './pollText';

describe('who sees the results, as told on the poll page', () => {
  it('tells the owner of an OWNER_ONLY poll that only they see them', () => {
    expect(visibilityShown('OWNER_ONLY', true)).toBe('Only you, the owner, see the results.');
  });

  it('never tells a voter "only you" on an OWNER_ONLY poll', () => {
    expect(visibilityShown('OWNER_ONLY', false)).toBe('Only the poll’s owner sees the results.');
  });

  it('says the same to everyone for the other settings', () => {
    expect(visibilityShown('AFTER_CLOSE', false)).toBe(visibilityShown('AFTER_CLOSE', true));
  });
});
