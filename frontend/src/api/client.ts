// The urql client: queries and mutations over HTTP (POST /graphql, as persisted
// operations: ./persisted.ts), live results over WebSocket (graphql-transport-ws at
// /graphql/ws), both signed with the session's token.
import {
  Client,
  cacheExchange,
  fetchExchange,
  mapExchange,
  subscriptionExchange,
} from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { persistedExchange, persistedFetch } from './persisted';
import { isGatewayFailure, type Reachability } from './reachability';

import { fromGraphQLError, hasCode } from './errors';

/** The WebSocket URL of the API on the page's own origin (the dev server proxies it). */
export function graphqlWsUrl(location: { protocol: string; host: string }): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/graphql/ws`;
}

/** Milliseconds to wait before WebSocket reconnect attempt `retries` (0-based). */
export function reconnectDelay(retries: number, random: () => number = Math.random): number {
  return Math.min(1000 * 2 ** retries, 15_000) + Math.floor(random() * 1000);
}

export type LiveConnection = 'idle' | 'connecting' | 'connected' | 'closed';

/** The WebSocket's state, for the "live" indicator. */
export class LiveConnectionState {
  private state: LiveConnection = 'idle';
  private listeners = new Set<() => void>();

  get = (): LiveConnection => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  set(state: LiveConnection): void {
    if (state === this.state) return;
    this.state = state;
    this.listeners.forEach((l) => l());
  }
}

export interface ApiClient {
  client: Client;
  live: LiveConnectionState;
  /** Closes the WebSocket; the client must not be used afterwards. */
  dispose(): void;
}

export interface ApiClientOptions {
  token: string | null;
  /** Told of every request's fate, so outages are seen (and recoveries) app-wide. */
  reach: Reachability;
  /** Called when the API refuses the token (expired, revoked secret, …). */
  onUnauthenticated: () => void;
}

/**
 * `fetch` that tells `reach` whether the server answered: a thrown fetch (refused, reset,
 * offline) or a gateway's 502–504 makes it suspect the server is gone.
 */
export function reachTrackingFetch(reach: Reachability, inner: typeof fetch = (input, init) => fetch(input, init)): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await inner(input, init);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'AbortError')) reach.suspect();
      throw error;
    }
    if (isGatewayFailure(response.status)) reach.suspect();
    else reach.answered();
    return response;
  };
}

/** Normal closure (1000): the client closed an idle lazy socket; anything else may be an outage. */
const NORMAL_CLOSURE = 1000;

export function createApiClient({ token, reach, onUnauthenticated }: ApiClientOptions): ApiClient {
  const live = new LiveConnectionState();
  const ws: WsClient = createWsClient({
    url: graphqlWsUrl(window.location),
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    lazy: true,
    retryAttempts: 30,
    // Back off, but reconnect as soon as the server is seen again (reachability probes).
    retryWait: (retries) => reach.waitOrRecovery(reconnectDelay(retries)),
    on: {
      connecting: () => live.set('connecting'),
      connected: () => {
        live.set('connected');
        reach.answered();
      },
      closed: (event) => {
        live.set('closed');
        const code = (event as { code?: number } | undefined)?.code;
        if (code !== NORMAL_CLOSURE) reach.suspect();
      },
    },
  });

  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    // Queries and mutations go by hash (./persisted.ts); subscriptions send their text.
    fetch: persistedFetch(reachTrackingFetch(reach)),
    fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    exchanges: [
      mapExchange({
        onError(error, operation) {
          const unauthenticated = hasCode(error.graphQLErrors.map(fromGraphQLError), 'UNAUTHENTICATED');
          // An operation signed with a token of its own (api/call.ts asBearer) says
          // nothing about the session's token.
          if (token && unauthenticated && operation.context.ownToken !== true) onUnauthenticated();
        },
      }),
      cacheExchange,
      persistedExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    live,
    dispose: () => {
      void ws.dispose();
    },
  };
}
