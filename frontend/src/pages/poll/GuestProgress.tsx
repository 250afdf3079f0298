// What a visitor voting without an account is told about the proof of work their browser
// does meanwhile: a progress bar while it runs, a line once it is done, and where to sign
// in instead.
import { Link } from 'react-router';
import { progressFraction, type GuestPassState } from '../../lib/guestPass';

/** The submit button's text while a guest vote is under way. */
export function guestBusyLabel(state: GuestPassState, sending: boolean): string {
  if (sending || state.phase !== 'working') return 'Sending vote…';
  return `Checking your browser… ${Math.round(progressFraction(state) * 100)}%`;
}

export function GuestProgress({ id, state, next }: { id: string; state: GuestPassState; next: string }) {
  const fraction = progressFraction(state);
  return (
    <div className="guest-progress stack" data-testid="guest-progress" data-phase={state.phase}>
      <p className="field-hint" id={id}>
        No account needed: you vote as a guest, once per browser.{' '}
        {state.phase === 'ready'
          ? 'Your browser is ready to vote.'
          : 'Your browser first does a short check that keeps automated votes out; it runs while you read.'}
      </p>
      {state.phase === 'working' && (
        <progress className="guest-progress-bar" max={1} value={fraction} aria-label="Browser check before voting as a guest" />
      )}
      <p className="field-hint">
        Have an account? <Link to={`/login?next=${encodeURIComponent(next)}`}>Sign in</Link> to vote with it.
      </p>
    </div>
  );
}
