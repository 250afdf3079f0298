import { describe, expect, it, vi } from 'vitest';
import { ApiFailure } from '../api/errors';
import { GuestPass, progressFraction, type GuestChallenge, type GuestPassDeps, type GuestPassState } from './guestPass';

const NOW = Date.parse('2026-12-06T12:00:00Z');

function challenge(n: number, expiresAt = '2026-12-06T12:05:00Z'): GuestChallenge {
  return { challenge: `signed-${n}`, salt: `salt-${n}`, difficulty: 4, expiresAt };
}

function deps(overrides: Partial<GuestPassDeps> = {}) {
  let issued = 0;
  const base: GuestPassDeps = {
    fetchChallenge: vi.fn(async () => challenge(++issued)),
    solve: vi.fn(async (salt: string, _difficulty: number, _signal: AbortSignal, onProgress: (n: number) => void) => {
      onProgress(8);
      return `nonce-for-${salt}`;
    }),
    startSession: vi.fn(async (c: string, nonce: string) => ({
      token: `token(${c},${nonce})`,
      expiresAt: '2026-12-07T12:00:00Z',
      user: { id: 'g1', username: 'guest-0a1b2c3d' },
    })),
    now: () => NOW,
  };
  return { ...base, ...overrides };
}

const refused = (code: string) => new ApiFailure([{ code, message: code.toLowerCase() }]);

describe('GuestPass', () => {
  it('solves in the background once, then trades the answer for a session', async () => {
    const d = deps();
    const states: GuestPassState[] = [];
    const pass = new GuestPass(d, (s) => states.push(s));
    pass.start();
    pass.start();
    const payload = await pass.session();
    expect(payload.token).toBe('token(signed-1,nonce-for-salt-1)');
    expect(d.fetchChallenge).toHaveBeenCalledTimes(1);
    expect(states.at(-1)).toEqual({ phase: 'ready' });
    expect(states).toContainEqual({ phase: 'working', tried: 8, expected: 16 });
  });

  it('starts the work itself when asked for a session first', async () => {
    const d = deps();
    await new GuestPass(d).session();
    expect(d.solve).toHaveBeenCalledWith('salt-1', 4, expect.any(AbortSignal), expect.any(Function));
  });

  it('solves a new challenge once when the server says the old one expired or was used', async () => {
    for (const code of ['PROOF_OF_WORK_EXPIRED', 'PROOF_OF_WORK_REUSED']) {
      const startSession = vi.fn().mockRejectedValueOnce(refused(code)).mockResolvedValue({ token: 't', expiresAt: 'x', user: { id: 'g', username: 'g' } });
      const d = deps({ startSession });
      expect((await new GuestPass(d).session()).token).toBe('t');
      expect(d.fetchChallenge).toHaveBeenCalledTimes(2);
      expect(startSession.mock.calls[1]?.[0]).toBe('signed-2');
    }
  });

  it('gives up after the second refusal, with the server errors', async () => {
    const d = deps({ startSession: vi.fn().mockRejectedValue(refused('PROOF_OF_WORK_EXPIRED')) });
    const states: GuestPassState[] = [];
    await expect(new GuestPass(d, (s) => states.push(s)).session()).rejects.toMatchObject({ errors: [{ code: 'PROOF_OF_WORK_EXPIRED' }] });
    expect(d.startSession).toHaveBeenCalledTimes(2);
    expect(states.at(-1)).toMatchObject({ phase: 'failed' });
  });

  it('does not retry an invalid proof or a rate limit', async () => {
    for (const code of ['PROOF_OF_WORK_INVALID', 'RATE_LIMITED']) {
      const d = deps({ startSession: vi.fn().mockRejectedValue(refused(code)) });
      await expect(new GuestPass(d).session()).rejects.toBeInstanceOf(ApiFailure);
      expect(d.startSession).toHaveBeenCalledTimes(1);
    }
  });

  it('does not send a challenge that expired while the page sat open', async () => {
    let issued = 0;
    const fetchChallenge = vi.fn(async () => (++issued === 1 ? challenge(1, '2026-12-06T12:00:03Z') : challenge(issued)));
    const d = deps({ fetchChallenge });
    await new GuestPass(d).session();
    expect(d.startSession).toHaveBeenCalledTimes(1);
    expect(d.startSession).toHaveBeenCalledWith('signed-2', 'nonce-for-salt-2');
  });

  it('starts over on the next attempt after the challenge could not be fetched', async () => {
    const fetchChallenge = vi.fn().mockRejectedValueOnce(new TypeError('Failed to fetch')).mockResolvedValue(challenge(7));
    const d = deps({ fetchChallenge });
    const pass = new GuestPass(d);
    pass.start();
    await expect(pass.session()).rejects.toMatchObject({ errors: [{ code: 'NETWORK' }] });
    expect((await pass.session()).token).toBe('token(signed-7,nonce-for-salt-7)');
  });

  it('passes its abort signal to the solver on cancel', async () => {
    let seen: AbortSignal | undefined;
    const solve = vi.fn((_s: string, _d: number, signal: AbortSignal) => {
      seen = signal;
      return new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(new DOMException('stop', 'AbortError'))));
    });
    const states: GuestPassState[] = [];
    const pass = new GuestPass(deps({ solve }), (s) => states.push(s));
    pass.start();
    await vi.waitFor(() => expect(seen).toBeDefined());
    pass.cancel();
    expect(seen?.aborted).toBe(true);
    await Promise.resolve();
    expect(states.some((s) => s.phase === 'failed')).toBe(false);
  });
});

describe('progressFraction', () => {
  it('grows with the tries, stays below 1 until solved', () => {
    expect(progressFraction({ phase: 'idle' })).toBe(0);
    expect(progressFraction({ phase: 'working', tried: 0, expected: 0 })).toBe(0);
    expect(progressFraction({ phase: 'working', tried: 128, expected: 256 })).toBe(0.5);
    expect(progressFraction({ phase: 'working', tried: 900, expected: 256 })).toBe(0.95);
    expect(progressFraction({ phase: 'ready' })).toBe(1);
  });
});
