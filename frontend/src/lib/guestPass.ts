// A guest's way in: fetch a proof-of-work challenge, solve it in the background while the
// visitor reads the question, and trade it for a guest session when they tap "Vote as
// guest". Plain async code over injected calls, so the flow is tested without a browser.
import { ApiFailure, errorsOf, type ApiError } from '../api/errors';
import type { AuthPayloadLike } from '../auth/session';
import { expectedTries } from './proofOfWork';
import type { OnProgress } from './solveChallenge';

/** What `guestChallenge` returns. */
export interface GuestChallenge {
  /** Opaque and signed: handed back as it is. */
  challenge: string;
  salt: string;
  /** Leading zero bits the digest needs. */
  difficulty: number;
  /** RFC 3339. */
  expiresAt: string;
}

export interface GuestPassDeps {
  /** `guestChallenge`; rejects with an {@link ApiFailure}. */
  fetchChallenge(): Promise<GuestChallenge>;
  /** The proof-of-work search (solveChallenge in the app). */
  solve(salt: string, difficulty: number, signal: AbortSignal, onProgress: OnProgress): Promise<string>;
  /** `startGuestSession`; rejects with an {@link ApiFailure}. */
  startSession(challenge: string, nonce: string): Promise<AuthPayloadLike>;
  now?: () => number;
}

/** Where the background work stands, for a progress bar. */
export type GuestPassState =
  | { phase: 'idle' }
  | { phase: 'working'; tried: number; expected: number }
  | { phase: 'ready' }
  | { phase: 'failed'; errors: ApiError[] };

/**
 * A challenge this close to its expiry is not worth sending: it could expire on the way.
 * One is fetched afresh instead.
 */
export const EXPIRY_MARGIN_MS = 5_000;

/** Server answers after which a fresh challenge is solved and the session asked for again, once. */
const RETRY_WITH_NEW_CHALLENGE = new Set(['PROOF_OF_WORK_EXPIRED', 'PROOF_OF_WORK_REUSED']);

interface Solved {
  challenge: GuestChallenge;
  nonce: string;
}

export class GuestPass {
  private work: Promise<Solved> | null = null;
  private controller = new AbortController();
  /** Bumped by every start and cancel: work from before it reports nothing. */
  private generation = 0;
  private readonly now: () => number;

  constructor(
    private readonly deps: GuestPassDeps,
    private readonly onState: (state: GuestPassState) => void = () => {},
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** Starts fetching and solving a challenge, unless that is already under way. */
  start(): void {
    if (this.work) return;
    this.work = this.solveOne();
    // Awaited later by session(); a failure nobody waited for yet is not unhandled.
    this.work.catch(() => {});
  }

  /** Stops the background work (the page was left); a later start() begins afresh. */
  cancel(): void {
    this.controller.abort();
    this.controller = new AbortController();
    this.work = null;
    this.generation++;
  }

  /**
   * A guest session: waits for the challenge being solved (starting it if need be), then
   * asks for the session. A challenge that expired meanwhile, or that the server says
   * expired or was used, is replaced by a new one once. Rejects with an {@link ApiFailure}.
   */
  async session(): Promise<AuthPayloadLike> {
    for (let attempt = 0; ; attempt++) {
      this.start();
      const solved = await (this.work as Promise<Solved>);
      this.work = null; // a challenge is good for one session
      if (new Date(solved.challenge.expiresAt).getTime() - EXPIRY_MARGIN_MS <= this.now() && attempt === 0) continue;
      try {
        return await this.deps.startSession(solved.challenge.challenge, solved.nonce);
      } catch (caught) {
        const errors = errorsOf(caught);
        if (attempt === 0 && errors.some((e) => RETRY_WITH_NEW_CHALLENGE.has(e.code))) continue;
        this.onState({ phase: 'failed', errors });
        throw caught instanceof ApiFailure ? caught : new ApiFailure(errors);
      }
    }
  }

  private async solveOne(): Promise<Solved> {
    const generation = ++this.generation;
    const current = () => generation === this.generation;
    this.onState({ phase: 'working', tried: 0, expected: 0 });
    try {
      const challenge = await this.deps.fetchChallenge();
      const total = expectedTries(challenge.difficulty);
      this.onState({ phase: 'working', tried: 0, expected: total });
      const signal = this.controller.signal;
      const nonce = await this.deps.solve(challenge.salt, challenge.difficulty, signal, (tried) => {
        if (current()) this.onState({ phase: 'working', tried, expected: total });
      });
      if (current()) this.onState({ phase: 'ready' });
      return { challenge, nonce };
    } catch (caught) {
      const errors = errorsOf(caught);
      if (current()) {
        this.work = null; // the next try starts over
        this.onState({ phase: 'failed', errors });
      }
      throw caught instanceof ApiFailure ? caught : new ApiFailure(errors);
    }
  }
}

/** How far along the work looks, 0 to 1 (an estimate: the search may end early or late). */
export function progressFraction(state: GuestPassState): number {
  if (state.phase === 'ready') return 1;
  if (state.phase !== 'working' || state.expected <= 0) return 0;
  // 2^difficulty tries is the average; cap below 1 until it is really done.
  return Math.min(state.tried / state.expected, 0.95);
}
