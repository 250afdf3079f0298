import { describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../api/errors';
import { cleanCode, invitationRequest, parseNames, redeemInvitation } from './invitation';

const guest = { token: 'guest-token', expiresAt: '2026-12-07T00:00:00Z', user: { id: 'g', username: 'guest-0011aabb' } };

describe('redeemInvitation', () => {
  it('redeems as the signed-in session without starting a guest', async () => {
    const startGuest = vi.fn();
    const redeem = vi.fn().mockResolvedValue({ id: 'poll-1' });
    expect(await redeemInvitation(' abc123 ', { signedIn: true, startGuest, redeem })).toEqual({ pollId: 'poll-1' });
    expect(redeem).toHaveBeenCalledWith('abc123');
    expect(startGuest).not.toHaveBeenCalled();
  });

  it('with no session, starts a guest and redeems as that guest', async () => {
    const redeem = vi.fn().mockResolvedValue({ id: 'poll-2' });
    const outcome = await redeemInvitation('abc123', { signedIn: false, startGuest: vi.fn().mockResolvedValue(guest), redeem });
    expect(outcome).toEqual({ pollId: 'poll-2', guest });
    expect(redeem).toHaveBeenCalledWith('abc123', 'guest-token');
  });

  it('passes the refusal on (and no guest session to keep)', async () => {
    const redeem = vi.fn().mockRejectedValue(new ApiFailure([{ code: 'INVITATION_REVOKED', message: 'revoked' }]));
    await expect(redeemInvitation('x', { signedIn: false, startGuest: vi.fn().mockResolvedValue(guest), redeem })).rejects.toMatchObject({
      errors: [{ code: 'INVITATION_REVOKED' }],
    });
  });
});

describe('cleanCode', () => {
  it('drops what copying a link tends to add', () => {
    expect(cleanCode(' Ab3x9/ ')).toBe('Ab3x9');
    expect(cleanCode('Ab3x9.')).toBe('Ab3x9');
  });
});

describe('invitationRequest', () => {
  it('asks for a whole number of invitations', () => {
    expect(invitationRequest('count', '5', '')).toEqual({ ok: true, input: { count: 5 } });
    for (const bad of ['', '0', '-2', '2.5', 'ten']) expect(invitationRequest('count', bad, '')).toMatchObject({ ok: false, field: 'count' });
  });

  it('takes one name per line, blank lines ignored', () => {
    expect(parseNames('Ana\n\n  Bo \r\nCy\n')).toEqual(['Ana', 'Bo', 'Cy']);
    expect(invitationRequest('names', '', 'Ana\nBo')).toEqual({ ok: true, input: { names: ['Ana', 'Bo'] } });
    expect(invitationRequest('names', '3', ' \n ')).toMatchObject({ ok: false, field: 'names' });
  });
});
