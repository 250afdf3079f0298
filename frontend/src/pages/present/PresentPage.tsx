// /polls/:id/present — the presenter screen for a room or a stream: the question, big
// live bars, the total, a large QR code and the join code, readable from the back of the
// room; when the poll closes, the winner in words. Motion follows prefers-reduced-motion
// (the bars' transition is turned off by the app's styles).
import { useCallback } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from 'urql';
import { PollQuery } from '../../api/documents';
import { PollJoinCodeQuery } from '../../api/joinDocuments';
import { apiErrors, errorsAt, hasCode } from '../../api/errors';
import { QrCode } from '../../components/LazyQrCode';
import { ResultsBars } from '../../components/ResultsBars';
import { useDocumentTitle } from '../../hooks/useDocumentTitle';
import { leaders, votesText } from '../../lib/liveResults';
import { LiveFeed } from '../poll/LiveFeed';
import type { PollData } from '../poll/types';
import { useLiveTally } from '../poll/useLiveTally';
import './present.css';

export function PresentPage() {
  const { id = '' } = useParams();
  const [{ data, error }, reexecute] = useQuery({ query: PollQuery, variables: { id }, requestPolicy: 'cache-and-network' });
  const [{ data: codeData }] = useQuery({ query: PollJoinCodeQuery, variables: { id } });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  const poll = data?.poll ?? null;
  if (!poll) {
    return (
      <main className="present" aria-busy={!error} data-testid="present">
        <p>{error || data?.poll === null ? 'This poll does not exist.' : 'Loading…'}</p>
      </main>
    );
  }
  return <Presenter poll={poll} joinCode={codeData?.poll?.joinCode ?? null} errors={apiErrors(error)} refetch={refetch} />;
}

function Presenter({ poll, joinCode, errors, refetch }: { poll: PollData; joinCode: string | null; errors: ReturnType<typeof apiErrors>; refetch(): void }) {
  useDocumentTitle(`${poll.title} (presenting)`);
  const results = poll.results ?? null;
  const hidden = !results && hasCode(errorsAt(errors, ['poll', 'results']), 'RESULTS_HIDDEN');
  const subscribe = poll.status !== 'CLOSED' && (results ? !results.final : hidden && poll.resultsVisibility === 'AFTER_CLOSE');
  const live = useLiveTally({ initial: results, enabled: subscribe, hidden, kind: poll.kind });
  const { tally, onTally: offerTally, onError, epoch } = live;
  const onTally = useCallback(
    (incoming: NonNullable<PollData['results']>) => {
      offerTally(incoming);
      if (incoming.final && poll.status !== 'CLOSED') refetch();
    },
    [offerTally, poll.status, refetch],
  );
  const url = `${window.location.origin}/polls/${poll.id}`;
  const joinUrl = `${window.location.host}/j/${joinCode ?? ''}`;
  const winners = tally?.final ? leaders(tally) : [];
  const names = tally ? tally.options.filter((o) => winners.includes(o.option.id)).map((o) => o.option.text) : [];
  return (
    <main className="present" data-testid="present" data-status={poll.status}>
      {subscribe && <LiveFeed key={epoch} pollId={poll.id} onTally={onTally} onError={onError} />}
      <div className="present-main">
        <h1 className="present-title">{poll.title}</h1>
        {tally ? (
          <>
            <ResultsBars tally={tally} markLeaders={poll.kind !== 'RANKED'} />
            <p className="present-total" data-testid="present-total" aria-live="polite">
              {votesText(tally.totalVotes)}
            </p>
          </>
        ) : (
          <p className="present-total">Results appear here as they become visible.</p>
        )}
        {names.length > 0 && tally && tally.totalVotes > 0 && (
          <p className="present-winner" role="status" data-testid="present-winner">
            {names.length === 1 ? `${names[0]} wins` : `A tie: ${names.join(' and ')}`}
          </p>
        )}
      </div>
      <aside className="present-join" aria-label="How to vote">
        <QrCode value={url} label="QR code of the link to this poll" size={280} />
        {joinCode && (
          <p className="present-code">
            <span>Go to {joinUrl.replace(/\/j\/.*$/, '')} and type</span>
            <strong data-testid="present-code">{joinCode}</strong>
          </p>
        )}
        <p className="present-exit">
          <Link to={`/polls/${poll.id}`}>Leave presenter view</Link>
        </p>
      </aside>
    </main>
  );
}
