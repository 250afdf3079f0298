// One poll: what it asks, voting, live results, sharing and (for its owner) closing.
import { lazy, Suspense, useCallback, useEffect } from 'react';
import { useLocation } from 'react-router';
import { errorsAt, hasCode, type ApiError } from '../../api/errors';
import { useAuth } from '../../auth/AuthProvider';
import { Notice } from '../../components/Notice';
import { PageHeading } from '../../components/PageHeading';
import { SharePanel } from '../../components/SharePanel';
import { AnonymousBadge } from '../../components/AnonymousBadge';
import { StatusBadge } from '../../components/StatusBadge';
import { useDocumentTitle } from '../../hooks/useDocumentTitle';
import { choiceHint } from '../../lib/choices';
import { formatDateTime, instant } from '../../lib/datetime';
import { ANONYMOUS, visibilityShown, VOTERS } from '../../lib/pollText';
import { ExportPanel } from './ExportPanel';
import { InvitationsPanel } from './InvitationsPanel';
import { LiveFeed } from './LiveFeed';
import { OwnerPanel } from './OwnerPanel';
import { ResultsPanel } from './ResultsPanel';
import type { PollData } from './types';
import { useLiveTally } from './useLiveTally';
import { VotePanel } from './VotePanel';

// The owner's chart is split out: voters never load it.
const ActivityPanel = lazy(() => import('./activity/ActivityPanel'));

interface PollViewProps {
  poll: PollData;
  /** Errors that came with the poll (e.g. RESULTS_HIDDEN at poll.results). */
  errors: ApiError[];
  refetch(): void;
}

const MAX_TIMER_MS = 24 * 60 * 60 * 1000;

/** Reloads the poll when it opens or closes by the clock, so its status is right. */
function useStatusTimer(poll: PollData, refetch: () => void) {
  useEffect(() => {
    const now = Date.now();
    const next = [instant(poll.opensAt), instant(poll.closesAt)]
      .filter((t) => !Number.isNaN(t) && t > now)
      .sort((a, b) => a - b)[0];
    if (next === undefined || next - now > MAX_TIMER_MS) return;
    const timer = window.setTimeout(refetch, next - now + 500);
    return () => window.clearTimeout(timer);
  }, [poll.opensAt, poll.closesAt, poll.status, refetch]);
}

function PollMeta({ poll, isOwner }: { poll: PollData; isOwner: boolean }) {
  return (
    <dl className="poll-meta">
      <div>
        <dt>Status</dt>
        <dd>
          <StatusBadge status={poll.status} />
        </dd>
      </div>
      <div>
        <dt>Asked by</dt>
        <dd>{poll.owner.username}</dd>
      </div>
      <div>
        <dt>Choices</dt>
        <dd>
          {choiceHint(poll)}
          {poll.scoreRange && ` Scores go from ${poll.scoreRange.min} to ${poll.scoreRange.max}.`}
          {poll.kind === 'RANKED' && ' Counted by instant runoff.'}
        </dd>
      </div>
      {poll.opensAt && (
        <div>
          <dt>{poll.status === 'SCHEDULED' ? 'Opens' : 'Opened'}</dt>
          <dd>{formatDateTime(poll.opensAt)}</dd>
        </div>
      )}
      {(poll.closedAt ?? poll.closesAt) && (
        <div>
          <dt>{poll.status === 'CLOSED' ? 'Closed' : 'Closes'}</dt>
          <dd>{formatDateTime((poll.closedAt ?? poll.closesAt) as string)}</dd>
        </div>
      )}
      <div>
        <dt>Who can vote</dt>
        <dd data-testid="poll-voters">{VOTERS[poll.voters].shown}</dd>
      </div>
      <div>
        <dt>Ballots</dt>
        <dd>{poll.anonymous ? ANONYMOUS.shown : 'Not anonymous: each ballot is stored with who cast it.'}</dd>
      </div>
      <div>
        <dt>Results</dt>
        <dd data-testid="poll-visibility">{visibilityShown(poll.resultsVisibility, isOwner)}</dd>
      </div>
      <div>
        <dt>Changing votes</dt>
        <dd>{poll.allowVoteChange ? 'Allowed while open' : 'Not allowed'}</dd>
      </div>
    </dl>
  );
}

export function PollView({ poll, errors, refetch }: PollViewProps) {
  useDocumentTitle(poll.title);
  const { session } = useAuth();
  const location = useLocation();
  const created = (location.state as { created?: boolean } | null)?.created === true;
  const invited = (location.state as { invited?: boolean } | null)?.invited === true;
  // The server leaves `results` out (rather than null) next to RESULTS_HIDDEN: test both.
  const results = poll.results ?? null;
  const hidden = !results && hasCode(errorsAt(errors, ['poll', 'results']), 'RESULTS_HIDDEN');
  const isOwner = session?.user.id === poll.owner.id;

  // Subscribe while the results are visible and can still change; for AFTER_CLOSE polls
  // also while hidden, to get the final tally the moment the poll closes.
  const subscribe =
    poll.status !== 'CLOSED' &&
    (results ? !results.final : hidden && poll.resultsVisibility === 'AFTER_CLOSE');
  const live = useLiveTally({ initial: results, enabled: subscribe, hidden, kind: poll.kind });
  const { tally, onTally: offerTally, onError, restart, epoch } = live;

  // The live feed saying "final" means the poll closed: reload it for its new status.
  const onTally = useCallback(
    (incoming: NonNullable<PollData['results']>) => {
      offerTally(incoming);
      if (incoming.final && poll.status !== 'CLOSED') refetch();
    },
    [offerTally, poll.status, refetch],
  );

  useStatusTimer(poll, refetch);

  const url = `${window.location.origin}/polls/${poll.id}`;
  // Just created: sharing is the next thing to do, so the share panel leads the page.
  const shareFirst = created && poll.status !== 'CLOSED';

  return (
    <article className="poll" data-testid="poll" data-status={poll.status}>
      {subscribe && <LiveFeed key={epoch} pollId={poll.id} onTally={onTally} onError={onError} />}
      <header className="poll-header">
        <PageHeading>{poll.title}</PageHeading>
        {shareFirst && <SharePanel url={url} title={poll.title} prominent />}
        {poll.anonymous && (
          <p className="poll-badges">
            <AnonymousBadge />
          </p>
        )}
        {poll.description && <p className="poll-description">{poll.description}</p>}
      </header>
      {invited && poll.status === 'OPEN' && !poll.myVote && (
        <Notice tone="success" role="status" testId="invited-notice">
          <p>Invitation accepted. You can vote below.</p>
        </Notice>
      )}
      <div className="poll-grid">
        <div className="poll-main stack">
          <VotePanel poll={poll} onChanged={refetch} />
          <ResultsPanel
            poll={poll}
            tally={tally}
            hidden={hidden}
            live={live.state}
            signedIn={Boolean(session)}
            onRefresh={() => {
              refetch();
              restart();
            }}
          />
          {isOwner && (
            <Suspense fallback={null}>
              <ActivityPanel pollId={poll.id} createdAt={poll.createdAt} version={tally?.version ?? null} />
            </Suspense>
          )}
          {isOwner && poll.voters === 'INVITED' && <InvitationsPanel pollId={poll.id} pollTitle={poll.title} />}
        </div>
        <aside className="poll-side stack" aria-label="About this poll">
          <section className="card" aria-labelledby="about-title">
            <h2 id="about-title">About this poll</h2>
            <PollMeta poll={poll} isOwner={isOwner} />
          </section>
          {isOwner && <OwnerPanel poll={poll} onClosed={refetch} />}
          {isOwner && <ExportPanel pollId={poll.id} anonymous={poll.anonymous} kind={poll.kind} />}
          {!shareFirst && <SharePanel url={url} title={poll.title} />}
        </aside>
      </div>
    </article>
  );
}
