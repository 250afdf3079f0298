// /i/:code — an invitation link. Accepting it (redeemInvitation) lets its holder vote on
// an invitation-only poll: as the signed-in account or guest, or, with no session, as a
// new guest after the browser check. Then on to the poll page to vote.
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useClient } from 'urql';
import { runMutation } from '../api/call';
import { describeError, errorsOf, retryAfter } from '../api/errors';
import { RedeemInvitationMutation } from '../api/invitationDocuments';
import { useAuth } from '../auth/AuthProvider';
import { guestSession, isGuest } from '../auth/session';
import { useGuestPass } from '../auth/useGuestPass';
import { Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { useCountdown } from '../hooks/useCountdown';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useOnline } from '../hooks/useOnline';
import { redeemInvitation } from '../lib/invitation';
import { GuestProgress, guestBusyLabel } from './poll/GuestProgress';

export function InvitePage() {
  useDocumentTitle('Your invitation');
  const { code = '' } = useParams();
  const { session, signIn } = useAuth();
  const client = useClient();
  const navigate = useNavigate();
  const online = useOnline();
  const wait = useCountdown();
  const guest = useGuestPass(!session);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ text: string; seq: number } | null>(null);
  const here = encodeURIComponent(`/i/${code}`);

  async function accept() {
    setBusy(true);
    setError(null);
    try {
      const redeemed = await redeemInvitation(code, {
        signedIn: Boolean(session),
        startGuest: () => guest.pass.session(),
        redeem: async (c, token) => (await runMutation(client, RedeemInvitationMutation, { code: c }, token)).redeemInvitation,
      });
      if (redeemed.guest) signIn(guestSession(redeemed.guest));
      navigate(`/polls/${redeemed.pollId}`, { state: { invited: true } });
    } catch (caught) {
      const errors = errorsOf(caught);
      setError((e) => ({ text: errors.map((x) => describeError(x, { online })).join(' '), seq: (e?.seq ?? 0) + 1 }));
      const seconds = retryAfter(errors);
      if (seconds) wait.start(seconds);
      setBusy(false);
    }
  }

  const who = !session ? null : isGuest(session) ? 'as a guest' : `as ${session.user.username}`;
  const label = busy ? (session ? 'Accepting…' : guestBusyLabel(guest.state, false)) : session ? 'Accept and vote' : 'Accept and vote as guest';
  return (
    <div className="narrow stack" data-testid="invite-page">
      <PageHeading>You are invited to vote</PageHeading>
      <p>
        Someone invited you to vote in their poll. Accept the invitation to see the question and vote; each invitation
        is for one person.
      </p>
      {error && (
        <Notice tone="error" focusOnShow focusKey={error.seq} testId="invite-error">
          <p>{error.text}</p>
        </Notice>
      )}
      <div className="actions">
        <button
          type="button"
          className="button"
          onClick={() => void accept()}
          disabled={busy || !online || wait.remaining > 0}
          aria-describedby={session ? undefined : 'invite-guest-progress'}
        >
          {wait.remaining > 0 ? `Try again in ${wait.remaining} s` : label}
        </button>
      </div>
      {who && <p className="field-hint">You will accept it {who}.</p>}
      {!session && (
        <>
          <GuestProgress id="invite-guest-progress" state={guest.state} next={`/i/${code}`} />
          <p className="field-hint">
            New here and want your vote kept with an account? <Link to={`/signup?next=${here}`}>Create an account</Link>{' '}
            first.
          </p>
        </>
      )}
    </div>
  );
}
