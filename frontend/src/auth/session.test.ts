import { describe, expect, it } from 'vitest';
import { isExpired, parseSession } from './session';

const good = { token: 't', expiresAt: '2026-11-29T00:00:00Z', user: { id: 'u1', username: 'ada' } };

describe('stored sessions', () => {
  it('reads a well-formed session', () => {
    expect(parseSession(JSON.stringify(good))).toEqual(good);
  });

  it('ignores anything malformed', () => {
    expect(parseSession(null)).toBeNull();
    expect(parseSession('not json')).toBeNull();
    expect(parseSession('42')).toBeNull();
    expect(parseSession(JSON.stringify({ ...good, token: '' }))).toBeNull();
    expect(parseSession(JSON.stringify({ ...good, user: { id: 1, username: 'ada' } }))).toBeNull();
  });

  it('knows when the token has expired', () => {
    expect(isExpired(good, Date.parse('2026-11-28T23:59:59Z'))).toBe(false);
    expect(isExpired(good, Date.parse('2026-11-29T00:00:00Z'))).toBe(true);
    expect(isExpired({ ...good, expiresAt: 'garbage' })).toBe(true);
  });
});
