import { describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../api/errors';
import { claimFromState, claimGuestVotes, claimText } from './claim';

const refuse = (code: string, extra: Record<string, unknown> = {}) => vi.fn().mockRejectedValue(new ApiFailure([{ code, message: code, ...extra }]));

describe('claimGuestVotes', () => {
  it('passes the guest token and reports how many ballots moved', async () => {
    const claim = vi.fn().mockResolvedValue({ claimed: 3 });
    expect(await claimGuestVotes(claim, 'guest-token')).toEqual({ kind: 'claimed', claimed: 3 });
    expect(claim).toHaveBeenCalledWith('guest-token');
  });

  it('names the conflicting polls', async () => {
    const outcome = await claimGuestVotes(refuse('CLAIM_CONFLICT', { pollIds: ['p1', 'p2'] }), 't');
    expect(outcome).toEqual({ kind: 'conflict', pollIds: ['p1', 'p2'] });
  });

  it('treats an already claimed or unknown guest as nothing to claim', async () => {
    expect(await claimGuestVotes(refuse('GUEST_ALREADY_CLAIMED'), 't')).toEqual({ kind: 'gone' });
    expect(await claimGuestVotes(refuse('UNAUTHENTICATED'), 't')).toEqual({ kind: 'gone' });
  });

  it('reports other failures, a lost connection included', async () => {
    expect(await claimGuestVotes(refuse('INTERNAL'), 't')).toMatchObject({ kind: 'failed', errors: [{ code: 'INTERNAL' }] });
    expect(await claimGuestVotes(vi.fn().mockRejectedValue(new TypeError('Failed to fetch')), 't')).toMatchObject({
      kind: 'failed',
      errors: [{ code: 'NETWORK' }],
    });
  });
});

describe('claimText', () => {
  it('counts the moved votes and says nothing when none moved', () => {
    expect(claimText({ kind: 'claimed', claimed: 1 })).toBe('The vote you cast as a guest now belongs to your account.');
    expect(claimText({ kind: 'claimed', claimed: 4 })).toBe('The 4 votes you cast as a guest now belong to your account.');
    expect(claimText({ kind: 'claimed', claimed: 0 })).toBeNull();
    expect(claimText({ kind: 'gone' })).toBeNull();
  });

  it('explains a conflict, one poll or several', () => {
    expect(claimText({ kind: 'conflict', pollIds: ['p1'] })).toMatch(/already voted in a poll you also voted in as a guest/);
    expect(claimText({ kind: 'conflict', pollIds: ['p1', 'p2'] })).toMatch(/already voted in 2 polls/);
  });
});

describe('claimFromState', () => {
  it('reads only a well-formed outcome', () => {
    expect(claimFromState({ claim: { kind: 'claimed', claimed: 2 } })).toEqual({ kind: 'claimed', claimed: 2 });
    expect(claimFromState({ claim: { kind: 'other' } })).toBeNull();
    expect(claimFromState(null)).toBeNull();
    expect(claimFromState({ created: true })).toBeNull();
  });
});
