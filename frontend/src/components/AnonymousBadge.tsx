// The "Anonymous" badge of a poll whose ballots are stored under a pseudonym. Sighted
// mouse users get the explanation as a tooltip; screen readers read it with the badge.
import { ANONYMOUS } from '../lib/pollText';

export function AnonymousBadge() {
  return (
    <span className="badge badge-anonymous" data-testid="poll-anonymous" title={ANONYMOUS.shown}>
      {ANONYMOUS.badge}
      <span className="visually-hidden">. {ANONYMOUS.shown}</span>
    </span>
  );
}
