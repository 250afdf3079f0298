// The tally shown on a poll page: the query's results, then every newer one the live
// subscription sends (see lib/liveResults.ts for the ordering rule).
import { useCallback, useEffect, useReducer, useRef, useState, useSyncExternalStore } from 'react';
import { useAuth } from '../../auth/AuthProvider';
import { hasCode, type ApiError } from '../../api/errors';
import { useAnnounce } from '../../components/Announcer';
import { useOnline } from '../../hooks/useOnline';
import { useOnRecovery } from '../../hooks/useReach';
import { latest, type Tally } from '../../lib/liveResults';
import { tallyAnnouncement } from '../../lib/outcome';

export type LiveState = 'off' | 'connecting' | 'live' | 'final' | 'hidden' | 'unavailable';

interface Options {
  /** Results from the poll query (null while hidden). */
  initial: Tally | null;
  /** Whether to subscribe now (results visible and the poll not final). */
  enabled: boolean;
  /** Whether the query said RESULTS_HIDDEN. */
  hidden: boolean;
  /** The poll's kind, for what the live region says. */
  kind: string;
}

export interface LiveTally {
  tally: Tally | null;
  state: LiveState;
  /** Remount key of the subscription component; bump with {@link restart}. */
  epoch: number;
  onTally(tally: Tally): void;
  onError(errors: ApiError[]): void;
  restart(): void;
}

const ANNOUNCE_EVERY_MS = 5000;

type TallyAction = { incoming: Tally | null } | { reset: true };

function reduceTally(current: Tally | null, action: TallyAction): Tally | null {
  return 'reset' in action ? null : latest(current, action.incoming);
}

export function useLiveTally({ initial, enabled, hidden, kind }: Options): LiveTally {
  const [tally, dispatch] = useReducer(reduceTally, initial);
  const offer = useCallback((incoming: Tally | null) => dispatch({ incoming }), []);
  const [received, setReceived] = useState(false);
  const [failure, setFailure] = useState<'hidden' | 'unavailable' | null>(null);
  const [epoch, setEpoch] = useState(0);
  const { live } = useAuth();
  const connection = useSyncExternalStore(live.subscribe, live.get);
  const online = useOnline();

  useEffect(() => {
    // Hidden again (e.g. a retracted ballot on an AFTER_VOTE poll): stop showing them.
    if (!initial && hidden) dispatch({ reset: true });
    else offer(initial);
  }, [initial, hidden, offer]);

  // Subscribing anew (e.g. results became visible after voting): forget the old outcome.
  useEffect(() => {
    setFailure(null);
    setReceived(false);
  }, [enabled]);

  const onTally = useCallback(
    (incoming: Tally) => {
      offer(incoming);
      setReceived(true);
      setFailure(null);
    },
    [offer],
  );

  const onError = useCallback((errors: ApiError[]) => {
    setFailure(hasCode(errors, 'RESULTS_HIDDEN') ? 'hidden' : 'unavailable');
  }, []);

  const restart = useCallback(() => {
    setFailure(null);
    setReceived(false);
    setEpoch((n) => n + 1);
  }, []);

  // Back online after live updates failed: try again.
  useEffect(() => {
    if (online && failure === 'unavailable') restart();
  }, [online, failure, restart]);
  // The server is back after an outage: resubscribe if the feed gave up meanwhile.
  useOnRecovery(() => {
    if (failure === 'unavailable') restart();
  });

  useAnnounceUpdates(tally, kind);

  let state: LiveState;
  if (tally?.final) state = 'final';
  else if (!tally && hidden) state = 'hidden';
  else if (!enabled) state = 'off';
  else if (failure) state = failure;
  else if (received && connection === 'connected') state = 'live';
  else state = 'connecting';

  return { tally, state, epoch, onTally, onError, restart };
}

/** Reads out changed results politely, at most every few seconds, always the newest. */
function useAnnounceUpdates(tally: Tally | null, kind: string): void {
  const announce = useAnnounce();
  const shown = useRef<string | null>(null);
  const lastAt = useRef(0);
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    if (!tally) return;
    const key = `${tally.pollId}:${tally.version}:${tally.final}`;
    if (shown.current === null || !shown.current.startsWith(`${tally.pollId}:`)) {
      shown.current = key; // the first tally is on screen with the page: nothing to announce
      return;
    }
    if (shown.current === key) return;
    shown.current = key;
    window.clearTimeout(timer.current);
    const wait = Math.max(0, lastAt.current + ANNOUNCE_EVERY_MS - Date.now());
    timer.current = window.setTimeout(() => {
      lastAt.current = Date.now();
      announce(tallyAnnouncement(tally, kind));
    }, wait);
  }, [tally, kind, announce]);

  useEffect(() => () => window.clearTimeout(timer.current), []);
}
