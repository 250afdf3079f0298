// Whether the Tally server can be reached, as the app has last seen it. Any request that
// fails without an answer (a refused or reset connection, a WebSocket closed abnormally, a
// gateway's 502–504) makes it *suspect*: it then probes `GET /healthz` at once and every
// PROBE_EVERY_MS until the server answers. The first failed probe turns the state to
// "unreachable" (the banner, voting paused); the first answer — a probe's or any request's —
// turns it back to "ok" and counts a recovery, which pages listen to (refetch what failed,
// reconnect live results, send a vote that was waiting).

export type Reach = 'ok' | 'unreachable';

/** How often a suspect or unreachable server is probed: recovery is seen within this. */
export const PROBE_EVERY_MS = 1000;
/** A probe with no answer after this long counts as failed (a hung server, a black hole). */
export const PROBE_TIMEOUT_MS = 3000;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface ReachSnapshot {
  state: Reach;
  /** How many times the server came back; grows by one per recovery. */
  recoveries: number;
}

export class Reachability {
  private snapshot: ReachSnapshot = { state: 'ok', recoveries: 0 };
  private listeners = new Set<() => void>();
  private probing = false;
  private timer: unknown = null;
  private waiters: Array<() => void> = [];

  /**
   * @param probe resolves true when the server answered, false when it did not.
   */
  constructor(
    private readonly probe: () => Promise<boolean>,
    private readonly timers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (id) => clearTimeout(id as number) },
    private readonly probeEveryMs: number = PROBE_EVERY_MS,
  ) {}

  /** The current state (a stable object until it changes, for useSyncExternalStore). */
  get = (): ReachSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** A request failed without an answer: find out whether the server is there. */
  suspect(): void {
    if (this.probing) return;
    this.probing = true;
    void this.runProbe();
  }

  /** The server answered a request (any HTTP status of its own, a WebSocket ack). */
  answered(): void {
    if (this.snapshot.state === 'unreachable') this.recover();
  }

  /** Resolves at once when the server is reachable, else when it next comes back. */
  whenReachable(): Promise<void> {
    if (this.snapshot.state === 'ok' && !this.probing) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves after `ms`, or earlier when the server comes back (a reconnect's wait). */
  waitOrRecovery(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timers.setTimeout(resolve, ms);
      this.waiters.push(resolve);
    });
  }

  private async runProbe(): Promise<void> {
    let ok = false;
    try {
      ok = await this.probe();
    } catch {
      ok = false;
    }
    if (ok) {
      this.probing = false;
      if (this.snapshot.state === 'unreachable') this.recover();
      else this.release();
      return;
    }
    if (this.snapshot.state !== 'unreachable') this.set({ state: 'unreachable', recoveries: this.snapshot.recoveries });
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      void this.runProbe();
    }, this.probeEveryMs);
  }

  private recover(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    this.probing = false;
    this.set({ state: 'ok', recoveries: this.snapshot.recoveries + 1 });
    this.release();
  }

  private release(): void {
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((w) => w());
  }

  private set(next: ReachSnapshot): void {
    this.snapshot = next;
    this.listeners.forEach((l) => l());
  }
}

/** The browser's probe: `GET /healthz` answered by the server itself (2xx). */
export async function probeHealth(fetcher: typeof fetch = fetch): Promise<boolean> {
  try {
    const response = await fetcher('/healthz', { cache: 'no-store', signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Whether an HTTP status means a gateway in front of Tally could not reach it. */
export function isGatewayFailure(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}
