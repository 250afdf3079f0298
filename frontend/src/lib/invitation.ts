// Redeeming an invitation link (/i/:code): as the session there is (an account or a
// guest), or, with no session, as a new guest once the proof of work is done — the
// guest session is kept only when the redemption worked.
import type { AuthPayloadLike } from '../auth/session';

export interface RedeemDeps {
  /** Whether someone (an account or a guest) is signed in. */
  signedIn: boolean;
  /** A new guest session (GuestPass.session in the app). */
  startGuest(): Promise<AuthPayloadLike>;
  /** `redeemInvitation`, as the signed-in session or as `token`; rejects with an ApiFailure. */
  redeem(code: string, token?: string): Promise<{ id: string }>;
}

export interface Redeemed {
  pollId: string;
  /** The guest session started for this, to be stored. */
  guest?: AuthPayloadLike;
}

/** The code as typed or pasted: surrounding spaces and a trailing slash or dot go. */
export function cleanCode(code: string): string {
  return code.trim().replace(/[/.]+$/, '');
}

export async function redeemInvitation(code: string, deps: RedeemDeps): Promise<Redeemed> {
  const clean = cleanCode(code);
  if (deps.signedIn) return { pollId: (await deps.redeem(clean)).id };
  const guest = await deps.startGuest();
  const poll = await deps.redeem(clean, guest.token);
  return { pollId: poll.id, guest };
}

/** What the owner asks for: a number of unnamed invitations, or one per name. */
export type InvitationRequest = { count: number } | { names: string[] };

/** One name per line; blank lines and surrounding spaces go. */
export function parseNames(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The request for createInvitations from the form, or what is wrong with the form. */
export function invitationRequest(mode: 'count' | 'names', count: string, names: string): { ok: true; input: InvitationRequest } | { ok: false; field: 'count' | 'names'; message: string } {
  if (mode === 'count') {
    const n = Number(count.trim());
    if (!count.trim() || !Number.isInteger(n) || n < 1) return { ok: false, field: 'count', message: 'Enter how many invitations to create: a whole number, 1 or more.' };
    return { ok: true, input: { count: n } };
  }
  const list = parseNames(names);
  if (list.length === 0) return { ok: false, field: 'names', message: 'Enter at least one name, one per line.' };
  return { ok: true, input: { names: list } };
}
