import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PROBE_EVERY_MS, Reachability } from './reachability';

/** A server that is up or down, as the probe sees it. */
function server(up: boolean) {
  const state = { up, probes: 0 };
  const probe = async () => {
    state.probes += 1;
    return state.up;
  };
  return { state, reach: new Reachability(probe) };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('telling whether the server can be reached', () => {
  it('stays ok when a failed request was a blip (the probe answers)', async () => {
    const { state, reach } = server(true);
    reach.suspect();
    await vi.advanceTimersByTimeAsync(0);
    expect(reach.get()).toEqual({ state: 'ok', recoveries: 0 });
    expect(state.probes).toBe(1);
  });

  it('turns unreachable at the first failed probe, and probes again every second', async () => {
    const { state, reach } = server(false);
    reach.suspect();
    reach.suspect(); // one probe loop, however many requests fail
    await vi.advanceTimersByTimeAsync(0);
    expect(reach.get().state).toBe('unreachable');
    await vi.advanceTimersByTimeAsync(3 * PROBE_EVERY_MS);
    expect(state.probes).toBe(4);
  });

  it('recovers within one probe interval of the server coming back, and counts it', async () => {
    const { state, reach } = server(false);
    const seen: string[] = [];
    reach.subscribe(() => seen.push(reach.get().state));
    reach.suspect();
    await vi.advanceTimersByTimeAsync(5 * PROBE_EVERY_MS);
    state.up = true;
    await vi.advanceTimersByTimeAsync(PROBE_EVERY_MS);
    expect(reach.get()).toEqual({ state: 'ok', recoveries: 1 });
    expect(seen).toEqual(['unreachable', 'ok']);
    const probes = state.probes;
    await vi.advanceTimersByTimeAsync(10 * PROBE_EVERY_MS);
    expect(state.probes).toBe(probes); // no probing once back
  });

  it('recovers at once when any request is answered', async () => {
    const { reach } = server(false);
    reach.suspect();
    await vi.advanceTimersByTimeAsync(0);
    reach.answered();
    expect(reach.get()).toEqual({ state: 'ok', recoveries: 1 });
  });

  it('lets a waiting vote go as soon as the server is back', async () => {
    const { state, reach } = server(false);
    reach.suspect();
    await vi.advanceTimersByTimeAsync(0);
    let released = false;
    void reach.whenReachable().then(() => (released = true));
    await vi.advanceTimersByTimeAsync(4 * PROBE_EVERY_MS);
    expect(released).toBe(false);
    state.up = true;
    await vi.advanceTimersByTimeAsync(PROBE_EVERY_MS);
    expect(released).toBe(true);
  });

  it('cuts a reconnect wait short when the server comes back', async () => {
    const { state, reach } = server(false);
    reach.suspect();
    await vi.advanceTimersByTimeAsync(0);
    let done = false;
    void reach.waitOrRecovery(15_000).then(() => (done = true));
    state.up = true;
    await vi.advanceTimersByTimeAsync(PROBE_EVERY_MS);
    expect(done).toBe(true);
  });
});
