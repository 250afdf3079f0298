import { describe, expect, it } from 'vitest';
import { claimableGuestToken, guestSession, isExpired, isGuest, parseSession } from './session';

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

describe('guest sessions', () => {
  const guest = guestSession({ token: 'g', expiresAt: '2026-11-29T00:00:00Z', user: { id: 'u2', username: 'guest-7f3a' } });

  it('are flagged, and the flag survives storage', () => {
    expect(isGuest(guest)).toBe(true);
    expect(parseSession(JSON.stringify(guest))).toEqual(guest);
  });

  it('leave accounts unflagged, including sessions stored before guests existed', () => {
    expect(isGuest(parseSession(JSON.stringify(good)))).toBe(false);
    expect(isGuest(parseSession(JSON.stringify({ ...good, guest: 'yes' })))).toBe(false);
    expect(isGuest(null)).toBe(false);
  });

  it('offer their token for claiming only while it is a live guest token', () => {
    const before = Date.parse('2026-11-28T12:00:00Z');
    expect(claimableGuestToken(guest, before)).toBe('g');
    expect(claimableGuestToken(guest, Date.parse('2026-11-29T00:00:00Z'))).toBeNull();
    expect(claimableGuestToken(good, before)).toBeNull();
    expect(claimableGuestToken(null, before)).toBeNull();
  });
});
