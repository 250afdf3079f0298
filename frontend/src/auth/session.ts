// The signed-in session, kept in localStorage so it survives reloads and is shared by tabs.

export interface SessionUser {
  id: string;
  username: string;
}

export interface Session {
  token: string;
  /** RFC 3339; the token stops being accepted then. */
  expiresAt: string;
  user: SessionUser;
}

export const SESSION_KEY = 'tally.session';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The session stored as `raw`, or null when there is none or it is malformed. */
export function parseSession(raw: string | null): Session | null {
  if (!raw) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isRecord(value) || !isRecord(value.user)) return null;
  const { token, expiresAt, user } = value;
  if (typeof token !== 'string' || !token || typeof expiresAt !== 'string') return null;
  if (typeof user.id !== 'string' || typeof user.username !== 'string') return null;
  return { token, expiresAt, user: { id: user.id, username: user.username } };
}

export function isExpired(session: Session, now: number = Date.now()): boolean {
  const expires = new Date(session.expiresAt).getTime();
  return Number.isNaN(expires) || expires <= now;
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (privacy settings): the session lasts until reload
  }
}

/** The stored session, unless it is missing, malformed or expired. */
export function loadSession(): Session | null {
  const session = parseSession(storage()?.getItem(SESSION_KEY) ?? null);
  return session && !isExpired(session) ? session : null;
}

export function saveSession(session: Session): void {
  try {
    storage()?.setItem(SESSION_KEY, JSON.stringify(session));
  } catch {
    // quota or privacy mode: keep the session in memory only
  }
}

export function clearSession(): void {
  try {
    storage()?.removeItem(SESSION_KEY);
  } catch {
    // nothing to clear
  }
}
