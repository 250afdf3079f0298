// The outcome of moving a guest's votes to the account they just signed up or in with
// (lib/claim.ts), shown once on the page they land on. Conflicting polls are listed by
// title, each a link.
import { useLocation } from 'react-router';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { PollTitleQuery } from '../api/guestDocuments';
import { claimFromState, claimText } from '../lib/claim';
import { Notice } from './Notice';

function PollTitle({ id }: { id: string }) {
  const [{ data }] = useQuery({ query: PollTitleQuery, variables: { id } });
  return <Link to={`/polls/${id}`}>{data?.poll?.title ?? 'a poll'}</Link>;
}

export function ClaimNotice() {
  const location = useLocation();
  const claim = claimFromState(location.state);
  const text = claim && claimText(claim);
  if (!claim || !text) return null;
  const tone = claim.kind === 'claimed' ? 'success' : 'warning';
  return (
    <Notice tone={tone} role="status" testId="claim-notice">
      <p>{text}</p>
      {claim.kind === 'conflict' && claim.pollIds.length > 0 && (
        <ul>
          {claim.pollIds.map((id) => (
            <li key={id}>
              <PollTitle id={id} />
            </li>
          ))}
        </ul>
      )}
    </Notice>
  );
}
