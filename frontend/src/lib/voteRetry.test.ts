import { describe, expect, it } from 'vitest';
import type { ApiError } from '../api/errors';
import { hasNoAnswer, retryPause, sendUntilAnswered, type Sent } from './voteRetry';

const network: ApiError = { code: 'NETWORK', message: 'Failed to fetch' };

describe('which failures leave a vote without an answer', () => {
  it('is a network failure or a timeout, nothing else', () => {
    expect(hasNoAnswer([network])).toBe(true);
    expect(hasNoAnswer([{ code: 'TIMEOUT', message: '' }])).toBe(true);
    expect(hasNoAnswer([])).toBe(false);
    expect(hasNoAnswer([{ code: 'ALREADY_VOTED', message: '' }])).toBe(false);
    expect(hasNoAnswer([network, { code: 'INVALID_OPTION', message: '' }])).toBe(false);
  });

  it('pauses 250 ms doubling to at most 2 s between tries', () => {
    expect([0, 1, 2, 3, 4, 10].map(retryPause)).toEqual([250, 500, 1000, 2000, 2000, 2000]);
  });
});

describe('a vote in flight during an outage', () => {
  /** A server that is down for `downFor` tries, records the first vote it sees, replays the rest. */
  function flakyServer(downFor: number) {
    const keys: string[] = [];
    const ballots = new Map<string, string>();
    let tries = 0;
    const send = (key: string) => async (): Promise<Sent<{ replayed: boolean }>> => {
      tries += 1;
      keys.push(key);
      if (tries <= downFor) return { errors: [network] };
      const replayed = ballots.has('me');
      if (!replayed) ballots.set('me', key);
      return { errors: [], data: { replayed } };
    };
    return { keys, ballots, send };
  }

  const deps = (log: string[]) => ({
    whenReachable: async () => void log.push('reachable'),
    sleep: async (ms: number) => void log.push(`sleep ${ms}`),
    onWaiting: (retry: number) => void log.push(`waiting ${retry}`),
  });

  it('is sent again with the same key until answered, and counted once', async () => {
    const server = flakyServer(3);
    const log: string[] = [];
    const result = await sendUntilAnswered(server.send('key-1'), deps(log));
    expect(result.data).toEqual({ replayed: false });
    expect(result.tries).toBe(4);
    expect(new Set(server.keys)).toEqual(new Set(['key-1']));
    expect(server.ballots.size).toBe(1);
    expect(log).toEqual(['waiting 0', 'reachable', 'sleep 250', 'waiting 1', 'reachable', 'sleep 500', 'waiting 2', 'reachable', 'sleep 1000']);
  });

  it('stops at a definite refusal, without retrying it', async () => {
    let tries = 0;
    const result = await sendUntilAnswered(async () => {
      tries += 1;
      return tries === 1 ? { errors: [network] } : { errors: [{ code: 'POLL_NOT_OPEN', message: 'closed' }] };
    }, deps([]));
    expect(result.errors[0]?.code).toBe('POLL_NOT_OPEN');
    expect(tries).toBe(2);
  });
});
