import { describe, expect, it } from 'vitest';
import { graphqlWsUrl, reconnectDelay } from './client';

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
