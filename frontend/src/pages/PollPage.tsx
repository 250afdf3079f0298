// /polls/:id — loads the poll, then hands it to PollView.
import { useCallback, useRef } from 'react';
import { useParams } from 'react-router';
import { useQuery } from 'urql';
import { PollQuery } from '../api/documents';
import { apiErrors, describeError, errorsOutside, hasCode } from '../api/errors';
import { Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { useDocumentTitle } from '../hooks/useDocumentTitle';
import { useOnline } from '../hooks/useOnline';
import { useOnRecovery } from '../hooks/useReach';
import { NotFoundPage } from './NotFoundPage';
import type { PollData } from './poll/types';
import { PollView } from './poll/PollView';

export function PollPage() {
  const { id = '' } = useParams();
  const online = useOnline();
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: PollQuery,
    variables: { id },
    requestPolicy: 'cache-and-network',
  });
  const refetch = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  // Back from an outage: the poll (status, my vote, results) may have moved on meanwhile.
  useOnRecovery(refetch);
  const errors = apiErrors(error);
  // While the poll reloads for a new session (a guest's, just started by voting) the
  // client's cache is empty: keep showing the poll, so the page keeps its place, focus
  // and messages.
  const last = useRef<PollData | null>(null);
  if (data?.poll) last.current = data.poll;
  const poll = data?.poll ?? (data === undefined && !error && last.current?.id === id ? last.current : null);

  if (poll) return <PollView key={poll.id} poll={poll} errors={errors} refetch={refetch} />;
  // A malformed id is BAD_USER_INPUT; for people that is the same as a missing poll.
  if (data?.poll === null || hasCode(errors, 'NOT_FOUND') || hasCode(errors, 'BAD_USER_INPUT')) {
    return <NotFoundPage what="poll" />;
  }
  return <PollLoading fetching={fetching} message={errorsOutside(errors, ['poll', 'results']).map((e) => describeError(e, { online })).join(' ')} retry={refetch} />;
}

function PollLoading({ fetching, message, retry }: { fetching: boolean; message: string; retry(): void }) {
  useDocumentTitle(message ? 'Poll unavailable' : 'Loading poll');
  if (message && !fetching) {
    return (
      <div className="narrow">
        <PageHeading>Poll unavailable</PageHeading>
        <Notice tone="error" focusOnShow>
          <p>{message}</p>
          <button type="button" className="button button-secondary" onClick={retry}>
            Try again
          </button>
        </Notice>
      </div>
    );
  }
  return (
    <div className="narrow" aria-busy="true">
      <p className="loading">Loading poll…</p>
    </div>
  );
}
