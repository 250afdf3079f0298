// A list of polls, a page at a time: "Load more" fetches the page after the last one's
// `endCursor` (Relay pagination) and moves focus to the first poll it brought.
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { PollListQuery } from '../api/documents';
import { apiErrors, describeError } from '../api/errors';
import type { PollFilter, PollSummaryFieldsFragment } from '../gql/graphql';
import { useOnline } from '../hooks/useOnline';
import { useOnRecovery } from '../hooks/useReach';
import { formatDateTime } from '../lib/datetime';
import { totalText } from '../lib/outcome';
import { KIND_SHORT } from '../lib/pollText';
import { useAnnounce } from './Announcer';
import { StatusBadge } from './StatusBadge';

interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

function timing(poll: PollSummaryFieldsFragment): string {
  switch (poll.status) {
    case 'SCHEDULED':
      return poll.opensAt ? `Opens ${formatDateTime(poll.opensAt)}` : 'Opens soon';
    case 'OPEN':
      return poll.closesAt ? `Closes ${formatDateTime(poll.closesAt)}` : 'Open until its owner closes it';
    case 'CLOSED': {
      const closed = poll.closedAt ?? poll.closesAt;
      return closed ? `Closed ${formatDateTime(closed)}` : 'Closed';
    }
  }
}

function PollListItem({ poll, linkRef }: { poll: PollSummaryFieldsFragment; linkRef?: React.Ref<HTMLAnchorElement> }) {
  return (
    <li className="poll-list-item">
      <Link to={`/polls/${poll.id}`} ref={linkRef} className="poll-list-title">
        {poll.title}
      </Link>
      <p className="poll-list-meta">
        <StatusBadge status={poll.status} />
        <span>by {poll.owner.username}</span>
        <span>{timing(poll)}</span>
        {poll.results && (
          <span className="poll-list-votes" data-testid="poll-list-votes">
            {totalText(poll.kind, poll.results.totalVotes, poll.status === 'CLOSED')}
          </span>
        )}
        {poll.kind !== 'SINGLE' && <span>{KIND_SHORT[poll.kind]}</span>}
        {poll.myVote && <span className="badge badge-voted">You voted</span>}
      </p>
    </li>
  );
}

interface PageProps {
  filter: PollFilter;
  first: number;
  after: string | null;
  isLast: boolean;
  focusFirst: boolean;
  index: number;
  onPageInfo(info: PageInfo): void;
  onCount(index: number, count: number): void;
}

function PollListPage({ filter, first, after, isLast, focusFirst, index, onPageInfo, onCount }: PageProps) {
  const [{ data, fetching, error }, reexecute] = useQuery({
    query: PollListQuery,
    variables: { first, after, filter },
    requestPolicy: 'cache-and-network',
  });
  const online = useOnline();
  // Back from an outage: load again, so a failed page heals (no "Try again" needed) and a
  // shown one is fresh.
  useOnRecovery(() => reexecute({ requestPolicy: 'network-only' }));
  const firstLink = useRef<HTMLAnchorElement>(null);
  const connection = data?.polls;

  useEffect(() => {
    if (connection && isLast) onPageInfo(connection.pageInfo);
  }, [connection, isLast, onPageInfo]);
  useEffect(() => {
    if (connection) onCount(index, connection.edges.length);
  }, [connection, index, onCount]);
  useEffect(() => {
    if (focusFirst && connection) firstLink.current?.focus();
  }, [focusFirst, connection]);

  if (!connection) {
    if (error) {
      const [first0] = apiErrors(error);
      return (
        <li className="poll-list-status">
          {/* The alert inside the item: a role on the <li> itself would take it out of the list. */}
          <span role="alert">{first0 ? describeError(first0, { online }) : 'Could not load polls.'}</span>{' '}
          <button type="button" className="button-link" onClick={() => reexecute({ requestPolicy: 'network-only' })}>
            Try again
          </button>
        </li>
      );
    }
    return <li className="poll-list-status">{fetching ? 'Loading polls…' : null}</li>;
  }
  return (
    <>
      {connection.edges.map((edge, i) => (
        <PollListItem key={edge.cursor} poll={edge.node} linkRef={i === 0 ? firstLink : undefined} />
      ))}
    </>
  );
}

interface PollListProps {
  filter: PollFilter;
  /** Id of the heading that names the list. */
  labelledBy: string;
  empty: React.ReactNode;
  pageSize?: number;
  testId?: string;
}

export function PollList({ filter, labelledBy, empty, pageSize = 10, testId }: PollListProps) {
  const [afters, setAfters] = useState<(string | null)[]>([null]);
  const [pageInfo, setPageInfo] = useState<PageInfo | null>(null);
  const [counts, setCounts] = useState<Record<number, number>>({});
  const announce = useAnnounce();
  const announced = useRef(new Set<number>());
  const filterKey = JSON.stringify(filter);

  const onCount = useCallback((index: number, count: number) => {
    setCounts((c) => (c[index] === count ? c : { ...c, [index]: count }));
  }, []);

  // "N more polls loaded", once per page that "Load more" brought.
  useEffect(() => {
    const last = afters.length - 1;
    const count = counts[last];
    if (last > 0 && count !== undefined && !announced.current.has(last)) {
      announced.current.add(last);
      announce(count === 1 ? '1 more poll loaded.' : `${count} more polls loaded.`);
    }
  }, [afters, counts, announce]);

  useEffect(() => {
    setAfters([null]);
    setPageInfo(null);
    setCounts({});
    announced.current.clear();
  }, [filterKey]);

  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const loadedAll = Object.keys(counts).length === afters.length;

  function loadMore() {
    if (!pageInfo?.endCursor) return;
    const cursor = pageInfo.endCursor;
    setPageInfo(null);
    setAfters((list) => [...list, cursor]);
  }

  return (
    <div className="poll-list" data-testid={testId}>
      {loadedAll && total === 0 ? (
        <div className="poll-list-empty">{empty}</div>
      ) : (
        <ul aria-labelledby={labelledBy} className="poll-list-items">
          {afters.map((after, index) => (
            <PollListPage
              key={after ?? 'first'}
              filter={filter}
              first={pageSize}
              after={after}
              isLast={index === afters.length - 1}
              focusFirst={index > 0}
              index={index}
              onPageInfo={setPageInfo}
              onCount={onCount}
            />
          ))}
        </ul>
      )}
      {pageInfo?.hasNextPage && (
        <button type="button" className="button button-secondary" onClick={loadMore}>
          Load more
        </button>
      )}
    </div>
  );
}
