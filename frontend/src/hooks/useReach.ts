// The server's reachability (api/reachability.ts) for components: the state for banners
// and disabled controls, and a callback run each time the server comes back.
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { ReachSnapshot } from '../api/reachability';
import { useAuth } from '../auth/AuthProvider';

export function useReach(): ReachSnapshot {
  const { reach } = useAuth();
  return useSyncExternalStore(reach.subscribe, reach.get);
}

/** Runs `onRecovered` (the latest one given) each time the server is reachable again. */
export function useOnRecovery(onRecovered: () => void): void {
  const { recoveries } = useReach();
  const callback = useRef(onRecovered);
  callback.current = onRecovered;
  const seen = useRef(recoveries);
  useEffect(() => {
    if (recoveries === seen.current) return;
    seen.current = recoveries;
    callback.current();
  }, [recoveries]);
}
