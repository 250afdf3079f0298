// Who is signed in, and the API client that speaks for them. A new client is made when
// the token changes, so every query re-runs as the new viewer.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Provider as UrqlProvider } from 'urql';
import { createApiClient, type ApiClient, type LiveConnectionState } from '../api/client';
import { probeHealth, Reachability } from '../api/reachability';
import { clearSession, isExpired, loadSession, saveSession, SESSION_KEY, type Session } from './session';

export type SignOutReason = 'user' | 'expired';

interface AuthValue {
  session: Session | null;
  /** Set when the session ended by itself; shown on the sign-in page. */
  notice: string | null;
  signIn(session: Session): void;
  signOut(reason?: SignOutReason): void;
  live: LiveConnectionState;
  /** Whether the server can be reached; outlives the client (it is the same server). */
  reach: Reachability;
}

const AuthContext = createContext<AuthValue | null>(null);

const MAX_TIMEOUT = 2_147_483_647;

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback((next: Session) => {
    saveSession(next);
    setNotice(null);
    setSession(next);
  }, []);

  const signOut = useCallback((reason: SignOutReason = 'user') => {
    clearSession();
    setNotice(reason === 'expired' ? 'Your session has ended. Please sign in again.' : null);
    setSession(null);
  }, []);

  // Other tabs signing in or out.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === SESSION_KEY || event.key === null) setSession(loadSession());
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  // The token's own expiry.
  useEffect(() => {
    if (!session) return;
    if (isExpired(session)) {
      signOut('expired');
      return;
    }
    const wait = Math.min(new Date(session.expiresAt).getTime() - Date.now(), MAX_TIMEOUT);
    const timer = window.setTimeout(() => signOut('expired'), wait);
    return () => window.clearTimeout(timer);
  }, [session, signOut]);

  const token = session?.token ?? null;
  const [reach] = useState(() => new Reachability(() => probeHealth()));
  const api = useMemo(
    () => createApiClient({ token, reach, onUnauthenticated: () => signOut('expired') }),
    [token, reach, signOut],
  );
  // Close the previous client's WebSocket once a new client replaced it. (Not in this
  // effect's cleanup: React's StrictMode runs cleanups of live components in development.)
  const previous = useRef<ApiClient | null>(null);
  useEffect(() => {
    if (previous.current && previous.current !== api) previous.current.dispose();
    previous.current = api;
  }, [api]);

  const value = useMemo<AuthValue>(
    () => ({ session, notice, signIn, signOut, live: api.live, reach }),
    [session, notice, signIn, signOut, api, reach],
  );

  return (
    <AuthContext.Provider value={value}>
      <UrqlProvider value={api.client}>{children}</UrqlProvider>
    </AuthContext.Provider>
  );
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside <AuthProvider>');
  return value;
}
