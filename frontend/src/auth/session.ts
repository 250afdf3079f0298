// The signed-in session, kept in localStorage so it survives reloads and is shared by tabs.
// A guest's session (startGuestSession: no password) is kept the same way, flagged.

export interface SessionUser {
  id: string;
  username: string;
}

export interface Session {
  token: string;
  /** RFC 3339; the token stops being accepted then. */
  expiresAt: string;
  user: SessionUser;
  /** A guest identity rather than an account; absent for accounts. */
  guest?: true;
}

/** What `register`, `login` and `startGuestSession` return. */
export interface AuthPayloadLike {
  token: string;
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
  const session: Session = { token, expiresAt, user: { id: user.id, username: user.username } };
  if (value.guest === true) session.guest = true;
  return session;
}

/** The session for a guest identity the server just started. */
export function guestSession(payload: AuthPayloadLike): Session {
  return { token: payload.token, expiresAt: payload.expiresAt, user: { ...payload.user }, guest: true };
}

export function isGuest(session: Session | null): boolean {
  return session?.guest === true;
}

/**
 * The guest token to hand to `claimGuestVotes` once the visitor signs up or signs in:
 * the current session's, when it is a guest's that the server still accepts.
 */
export function claimableGuestToken(session: Session | null, now: number = Date.now()): string | null {
  return session && isGuest(session) && !isExpired(session, now) ? session.token : null;
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
