// Subscribes to a poll's live results while mounted (graphql-transport-ws).
import { useEffect } from 'react';
import { useSubscription } from 'urql';
import { PollResultsSubscription } from '../../api/documents';
import { apiErrors, type ApiError } from '../../api/errors';
import type { Tally } from '../../lib/liveResults';

interface LiveFeedProps {
  pollId: string;
  onTally(tally: Tally): void;
  onError(errors: ApiError[]): void;
}

export function LiveFeed({ pollId, onTally, onError }: LiveFeedProps) {
  const [{ data, error }] = useSubscription({ query: PollResultsSubscription, variables: { pollId } });
  const tally = data?.pollResults;
  useEffect(() => {
    if (tally) onTally(tally);
  }, [tally, onTally]);
  useEffect(() => {
    if (error) onError(apiErrors(error));
  }, [error, onError]);
  return null;
}
