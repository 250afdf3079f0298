import type { PollStatus } from '../gql/graphql';
import { STATUS_LABEL } from '../lib/pollText';

export function StatusBadge({ status }: { status: PollStatus }) {
  return (
    <span className={`badge badge-${status.toLowerCase()}`} data-testid="poll-status">
      {STATUS_LABEL[status]}
    </span>
  );
}
