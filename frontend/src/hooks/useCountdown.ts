import { useCallback, useEffect, useState } from 'react';

/**
 * A wait the server asked for (`retryAfterSeconds`): `start(seconds)` begins it and
 * `remaining` counts whole seconds down to 0, when the action may be retried.
 */
export function useCountdown(): { remaining: number; start(seconds: number): void } {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (until <= now) return;
    const timer = window.setTimeout(() => setNow(Date.now()), Math.min(1000, until - now));
    return () => window.clearTimeout(timer);
  }, [until, now]);

  const start = useCallback((seconds: number) => {
    const t = Date.now();
    setNow(t);
    setUntil(t + Math.max(1, seconds) * 1000);
  }, []);

  return { remaining: Math.max(0, Math.ceil((until - now) / 1000)), start };
}
