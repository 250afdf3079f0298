import { describe, expect, it } from 'vitest';
import { graphqlWsUrl, reachTrackingFetch, reconnectDelay } from './client';
import type { Reachability } from './reachability';

describe('API client settings', () => {
  it('speaks WebSocket to the page’s own origin', () => {
    expect(graphqlWsUrl({ protocol: 'http:', host: '127.0.0.1:5173' })).toBe('ws://127.0.0.1:5173/graphql/ws');
    expect(graphqlWsUrl({ protocol: 'https:', host: 'tally.example' })).toBe('wss://tally.example/graphql/ws');
  });

  it('backs off reconnects exponentially up to 15 s, with jitter', () => {
    expect(reconnectDelay(0, () => 0)).toBe(1000);
    expect(reconnectDelay(3, () => 0)).toBe(8000);
    expect(reconnectDelay(10, () => 0)).toBe(15000);
    expect(reconnectDelay(0, () => 0.999)).toBe(1999);
  });
});

describe('telling reachability what requests met', () => {
  function spy() {
    const calls: string[] = [];
    const reach = { suspect: () => calls.push('suspect'), answered: () => calls.push('answered') } as unknown as Reachability;
    return { calls, reach };
  }

  it('suspects an outage when fetch throws or a gateway answers 502–504', async () => {
    const { calls, reach } = spy();
    const refused = reachTrackingFetch(reach, async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(refused('/graphql')).rejects.toThrow('Failed to fetch');
    await reachTrackingFetch(reach, async () => new Response('', { status: 502 }))('/graphql');
    expect(calls).toEqual(['suspect', 'suspect']);
  });

  it('counts any answer of the server itself, errors included', async () => {
    const { calls, reach } = spy();
    await reachTrackingFetch(reach, async () => new Response('{}', { status: 200 }))('/graphql');
    await reachTrackingFetch(reach, async () => new Response('{}', { status: 400 }))('/graphql');
    expect(calls).toEqual(['answered', 'answered']);
  });

  it('says nothing about a request the app itself aborted', async () => {
    const { calls, reach } = spy();
    const aborted = reachTrackingFetch(reach, async () => {
      throw new DOMException('aborted', 'AbortError');
    });
    await expect(aborted('/graphql')).rejects.toThrow('aborted');
    expect(calls).toEqual([]);
  });
});
