// /embed/polls/:id — the widget other sites put in an <iframe>: the question, voting and
// live results, nothing else (no site header or footer). It tells the host page its
// height with postMessage ({ type: 'tally:height', pollId, height }) whenever it changes,
// so the host can size the frame to fit (see EmbedSnippet for the host's side).
import { useCallback, useEffect } from 'react';
import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { PollQuery } from '../../api/documents';
import { apiErrors, errorsAt, hasCode } from '../../api/errors';
import { useAuth } from '../../auth/AuthProvider';
import { LiveFeed } from '../poll/LiveFeed';
import { ResultsPanel } from '../poll/ResultsPanel';
import type { PollData } from '../poll/types';
import { useLiveTally } from '../poll/useLiveTally';
import { VotePanel } from '../poll/VotePanel';
import './embed.css';

/** The message the widget posts to its host page. */
export const HEIGHT_MESSAGE = 'tally:height';

function usePostHeight(pollId: string) {
  useEffect(() => {
    if (window.parent === window) return;
    let last = 0;
    const post = () => {
      const height = Math.ceil(document.documentElement.scrollHeight);
      if (height === last) return;
      last = height;
      window.parent.postMessage({ type: HEIGHT_MESSAGE, pollId, height }, '*');
    };
    const observer = new ResizeObserver(post);
    observer.observe(document.body);
    post();
    return () => observer.disconnect();
  }, [pollId]);
}

export function EmbedPage() {
  const { id = '' } = useParams();
  const [{ data, error }, reexecute] = useQuery({ query: PollQuery, variables: { id }, requestPolicy: 'cache-and-network' });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  usePostHeight(id);
  useEffect(() => {
    document.documentElement.classList.add('embedded');
    return () => document.documentElement.classList.remove('embedded');
  }, []);
  const errors = apiErrors(error);
  const poll = data?.poll ?? null;
  if (poll) return <EmbeddedPoll poll={poll} errors={errors} refetch={refetch} />;
  if (data?.poll === null || hasCode(errors, 'NOT_FOUND') || hasCode(errors, 'BAD_USER_INPUT')) {
    return (
      <main className="embed" data-testid="embed">
        <p>This poll does not exist.</p>
      </main>
    );
  }
  return (
    <main className="embed" aria-busy="true" data-testid="embed">
      <p className="loading">Loading poll…</p>
    </main>
  );
}

function EmbeddedPoll({ poll, errors, refetch }: { poll: PollData; errors: ReturnType<typeof apiErrors>; refetch(): void }) {
  const { session } = useAuth();
  const results = poll.results ?? null;
  const hidden = !results && hasCode(errorsAt(errors, ['poll', 'results']), 'RESULTS_HIDDEN');
  const subscribe =
    poll.status !== 'CLOSED' && (results ? !results.final : hidden && poll.resultsVisibility === 'AFTER_CLOSE');
  const live = useLiveTally({ initial: results, enabled: subscribe, hidden, kind: poll.kind });
  const { tally, onTally: offerTally, onError, restart, epoch } = live;
  const onTally = useCallback(
    (incoming: NonNullable<PollData['results']>) => {
      offerTally(incoming);
      if (incoming.final && poll.status !== 'CLOSED') refetch();
    },
    [offerTally, poll.status, refetch],
  );
  const link = `${window.location.origin}/polls/${poll.id}`;
  return (
    <main className="embed stack" data-testid="embed" data-status={poll.status}>
      {subscribe && <LiveFeed key={epoch} pollId={poll.id} onTally={onTally} onError={onError} />}
      <h1 className="embed-title">{poll.title}</h1>
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
      <p className="embed-footer">
        <a href={link} target="_blank" rel="noopener">
          Open in Tally
        </a>
      </p>
    </main>
  );
}
