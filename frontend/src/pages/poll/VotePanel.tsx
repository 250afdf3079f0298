// Casting, changing and retracting the viewer's ballot, each attempt with its own
// idempotency key, reused only when retrying the same intent after an uncertain failure.
import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useMutation } from 'urql';
import { asBearer } from '../../api/call';
import { CastVoteMutation, ChangeVoteMutation, RetractVoteMutation } from '../../api/documents';
import { apiErrors, describeError, errorsOf, hasCode, retryAfter, type KnownCode } from '../../api/errors';
import { useAuth } from '../../auth/AuthProvider';
import { guestSession, isGuest } from '../../auth/session';
import { useGuestPass } from '../../auth/useGuestPass';
import { useAnnounce } from '../../components/Announcer';
import { Notice, type NoticeTone } from '../../components/Notice';
import { useCountdown } from '../../hooks/useCountdown';
import { useOnline } from '../../hooks/useOnline';
import { useOnRecovery, useReach } from '../../hooks/useReach';
import { formatDateTime } from '../../lib/datetime';
import { attemptFor, keepKeyAfter, type BallotIntent, type VoteAction, type VoteAttempt } from '../../lib/idempotency';
import { sendUntilAnswered, type Sent } from '../../lib/voteRetry';
import { BallotForm, MyBallot } from './BallotForm';
import { GuestProgress, guestBusyLabel } from './GuestProgress';
import type { PollData } from './types';

interface Message {
  tone: NoticeTone;
  text: string;
  seq: number;
  /** About the connection (not the vote): cleared when the server is back. */
  stale?: boolean;
}

interface VotePanelProps {
  poll: PollData;
  /** Reload the poll (its status, the ballot and the results). */
  onChanged(): void;
}

const UNCERTAIN_HINT = ' If it did reach Tally, trying again will not count it twice.';

/** Said while an action waits for the server to come back (it is sent by itself). */
const WAITING: Record<VoteAction, string> = {
  cast: 'Can’t reach Tally. Your vote is kept and will be sent as soon as Tally answers; it will count once.',
  change: 'Can’t reach Tally. Your change is kept and will be sent as soon as Tally answers.',
  retract: 'Can’t reach Tally. Your retraction is kept and will be sent as soon as Tally answers.',
};

export function VotePanel({ poll, onChanged }: VotePanelProps) {
  const { session, signIn, reach } = useAuth();
  const signedIn = Boolean(session);
  // A visitor with no session on a poll open to guests votes as a guest: the proof of
  // work runs from the moment the page shows, so the tap on "Vote as guest" rarely waits.
  const guestVoting = !session && poll.voters === 'GUESTS' && poll.status === 'OPEN';
  const guest = useGuestPass(guestVoting);
  const [joining, setJoining] = useState(false);
  const [editing, setEditing] = useState(false);
  const [message, setMessage] = useState<Message | null>(null);
  const pending = useRef<VoteAttempt | null>(null);
  const changeButton = useRef<HTMLButtonElement>(null);
  const announce = useAnnounce();
  const online = useOnline();
  const wait = useCountdown();
  const [castState, cast] = useMutation(CastVoteMutation);
  const [changeState, change] = useMutation(ChangeVoteMutation);
  const [retractState, retract] = useMutation(RetractVoteMutation);
  const { state: reachState } = useReach();
  const [inFlight, setInFlight] = useState(false);
  const busy = inFlight || joining || castState.fetching || changeState.fetching || retractState.fetching;

  // Outcomes take focus (they are read out, and the next step starts there); errors are
  // announced assertively and leave focus on the control, ready for another try.
  function show(tone: NoticeTone, text: string, stale = false) {
    setMessage((m) => ({ tone, text, seq: (m?.seq ?? 0) + 1, stale }));
    if (tone === 'error') announce(text, 'assertive');
  }

  /** `token`: vote as this session rather than the signed-in one (a guest's, just started). */
  async function send(action: VoteAction, ballot: BallotIntent, token?: string): Promise<void> {
    const attempt = attemptFor(pending.current, action, ballot);
    pending.current = attempt;
    const key = attempt.key;
    const pollId = poll.id;
    // RANKED: optionIds in order of preference; SCORE: scores, optionIds empty.
    const choice = { optionIds: [...ballot.optionIds], ...(ballot.scores ? { scores: [...ballot.scores] } : {}) };
    // One try; `data` is the confirmation to show when the server recorded it.
    const once = async (): Promise<Sent<string>> => {
      if (action === 'cast') {
        const r = await cast({ input: { pollId, ...choice, idempotencyKey: key } }, token ? asBearer(token) : undefined);
        return { errors: apiErrors(r.error), data: r.data ? (r.data.castVote.replayed ? 'Your vote had already been counted.' : 'Your vote was counted.') : undefined };
      }
      if (action === 'change') {
        const r = await change({ input: { pollId, ...choice, idempotencyKey: key } });
        return { errors: apiErrors(r.error), data: r.data ? 'Your vote was changed.' : undefined };
      }
      const r = await retract({ input: { pollId, idempotencyKey: key } });
      return { errors: apiErrors(r.error), data: r.data ? 'Your vote was retracted. You can vote again while the poll is open.' : undefined };
    };
    // Without an answer (the server unreachable) the same attempt — same key — is sent
    // again once the server is back, until it answers: never lost, never counted twice.
    setInFlight(true);
    let sent: Sent<string>;
    try {
      sent = await sendUntilAnswered(once, {
        whenReachable: () => reach.whenReachable(),
        sleep: (ms) => new Promise((resolve) => window.setTimeout(resolve, ms)),
        onWaiting: (retry) => {
          if (retry === 0) show('info', WAITING[action]);
        },
      });
    } finally {
      setInFlight(false);
    }
    const errors = sent.errors;
    const done = sent.data ?? null;
    if (done) {
      pending.current = null;
      setEditing(false);
      show('success', done);
      onChanged();
      return;
    }
    if (!keepKeyAfter(errors)) pending.current = null;
    const text = errors.map((e) => describeError(e, { online })).join(' ');
    const uncertain = hasCode(errors, 'NETWORK') || hasCode(errors, 'TIMEOUT') || hasCode(errors, 'INTERNAL');
    show('error', uncertain && action === 'cast' ? `${text}${UNCERTAIN_HINT}` : text);
    const seconds = retryAfter(errors);
    if (seconds) wait.start(seconds);
    const stale: KnownCode[] = ['ALREADY_VOTED', 'POLL_NOT_OPEN', 'NOT_FOUND', 'FORBIDDEN', 'INVALID_OPTION'];
    if (stale.some((code) => hasCode(errors, code))) {
      setEditing(false);
      onChanged();
    }
  }

  /** One tap: start a guest session (waiting for the proof of work if need be), then vote. */
  async function sendAsGuest(ballot: BallotIntent): Promise<void> {
    setJoining(true);
    setMessage(null);
    try {
      const session = guestSession(await guest.pass.session());
      await send('cast', ballot, session.token);
      // Stored after the vote: the page then reloads as the guest and shows the ballot.
      signIn(session);
    } catch (caught) {
      const errors = errorsOf(caught);
      show('error', errors.map((e) => describeError(e, { online })).join(' '), hasCode(errors, 'NETWORK'));
      const seconds = retryAfter(errors);
      if (seconds) wait.start(seconds);
    } finally {
      setJoining(false);
    }
  }

  function cancelEditing() {
    setEditing(false);
    window.requestAnimationFrame(() => changeButton.current?.focus());
  }

  const blockedReason = !online
    ? 'You are offline. Connect to the internet to vote.'
    : reachState === 'unreachable' && !inFlight
      ? 'Can’t reach Tally right now, so voting is paused. It comes back by itself when Tally answers.'
      : wait.remaining > 0
      ? `Please wait ${wait.remaining} s before trying again.`
      : undefined;

  // Back from an outage: a "could not reach" error is stale.
  useOnRecovery(() => setMessage((m) => (m?.tone === 'error' && m.stale ? null : m)));

  // A confirmation of an earlier action is stale once the poll has closed.
  useEffect(() => {
    if (poll.status === 'CLOSED') setMessage((m) => (m?.tone === 'success' ? null : m));
  }, [poll.status]);

  const myVote = poll.myVote;
  const open = poll.status === 'OPEN';

  let body: React.ReactNode;
  if (poll.status === 'CLOSED') {
    body = (
      <p className="voting-state" data-testid="voting-closed">
        This poll is closed. Voting has ended{poll.closedAt || poll.closesAt ? ` (${formatDateTime((poll.closedAt ?? poll.closesAt) as string)})` : ''}.
      </p>
    );
  } else if (poll.status === 'SCHEDULED') {
    body = (
      <p className="voting-state" data-testid="voting-scheduled">
        Voting has not started yet{poll.opensAt ? `: it opens ${formatDateTime(poll.opensAt)}` : ''}.
      </p>
    );
  } else if (guestVoting) {
    body = (
      <>
        <BallotForm
          key="guest"
          poll={poll}
          submitLabel="Vote as guest"
          busyLabel={guestBusyLabel(guest.state, castState.fetching)}
          busy={busy}
          blockedReason={blockedReason}
          onSubmit={(ballot) => void sendAsGuest(ballot)}
          describedBy="guest-progress"
        />
        <GuestProgress id="guest-progress" state={guest.state} next={`/polls/${poll.id}`} />
      </>
    );
  } else if (!signedIn || (isGuest(session) && poll.voters === 'ACCOUNTS')) {
    const next = encodeURIComponent(`/polls/${poll.id}`);
    body = (
      <p className="voting-state" data-testid="voting-needs-account">
        {poll.voters === 'INVITED' && !signedIn ? (
          <>
            This poll is for invited people: open the invitation link you were given to vote. If it was already accepted
            with an account, <Link to={`/login?next=${next}`}>sign in</Link>.
          </>
        ) : (
          <>
            <Link to={`/login?next=${next}`}>Sign in</Link> or <Link to={`/signup?next=${next}`}>create an account</Link> to
            vote.{isGuest(session) && ' This poll does not take guest votes; the votes you cast as a guest move to your account.'}
          </>
        )}
      </p>
    );
  } else if (poll.voters === 'INVITED' && !poll.viewerInvited && !myVote) {
    body = (
      <p className="voting-state" data-testid="voting-needs-invitation">
        This poll is for invited people only. Open the invitation link you were given to vote.
      </p>
    );
  } else if (!myVote || editing) {
    body = (
      <BallotForm
        key={editing ? 'change' : 'cast'}
        poll={poll}
        fromMyVote={editing}
        submitLabel={editing ? 'Save my new vote' : 'Vote'}
        busyLabel={editing ? 'Saving…' : 'Sending vote…'}
        busy={busy}
        blockedReason={blockedReason}
        onSubmit={(ballot) => void send(editing ? 'change' : 'cast', ballot)}
        onCancel={editing ? cancelEditing : undefined}
        focusOnMount={editing}
      />
    );
  } else {
    body = null;
  }

  return (
    <section className="card vote-panel" aria-labelledby="vote-title">
      <h2 id="vote-title">Vote</h2>
      {message && (
        <Notice tone={message.tone} focusOnShow={message.tone !== 'error'} focusKey={message.seq} testId="vote-message">
          <p>{message.text}</p>
        </Notice>
      )}
      {myVote && !editing && (
        <div className="my-vote" data-testid="my-vote">
          <MyBallot poll={poll} />
          {poll.allowVoteChange && open && (
            <div className="actions">
              <button
                ref={changeButton}
                type="button"
                className="button button-secondary"
                onClick={() => {
                  setMessage(null);
                  setEditing(true);
                }}
                disabled={busy}
              >
                Change vote
              </button>
              <button
                type="button"
                className="button button-secondary"
                onClick={() => void send('retract', { optionIds: [] })}
                disabled={busy || Boolean(blockedReason)}
              >
                {retractState.fetching ? 'Retracting…' : 'Retract vote'}
              </button>
            </div>
          )}
        </div>
      )}
      {body}
    </section>
  );
}
