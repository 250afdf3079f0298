// /j/:code — opens the poll a join code names (Poll.joinCode), or says no poll has it.
import { useEffect } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useQuery } from 'urql';
import { PollByCodeQuery } from '../api/joinDocuments';
import { apiErrors, describeError, hasCode } from '../api/errors';
import { JoinCodeForm } from '../components/JoinCodeForm';
import { Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

export function JoinPage() {
  const { code = '' } = useParams();
  const navigate = useNavigate();
  const [{ data, error, fetching }] = useQuery({ query: PollByCodeQuery, variables: { code }, requestPolicy: 'network-only' });
  const id = data?.pollByCode?.id;
  useEffect(() => {
    if (id) void navigate(`/polls/${id}`, { replace: true });
  }, [id, navigate]);
  const errors = apiErrors(error);
  const unknown = data?.pollByCode === null || hasCode(errors, 'BAD_USER_INPUT');
  useDocumentTitle(unknown ? 'No poll has that code' : 'Opening poll');
  if (fetching || id || (!unknown && !error)) {
    return (
      <div className="narrow" aria-busy="true">
        <p className="loading">Opening poll {code}…</p>
      </div>
    );
  }
  return (
    <div className="narrow stack" data-testid="join-unknown">
      <PageHeading>{unknown ? 'No poll has that code' : 'Poll unavailable'}</PageHeading>
      <Notice tone="error" focusOnShow>
        <p>
          {unknown
            ? `“${code}” is not the code of any poll. Codes are six letters and digits, as shown on the presenter's screen.`
            : errors.map((e) => describeError(e)).join(' ')}
        </p>
      </Notice>
      <JoinCodeForm />
      <p>
        <Link to="/">Back to the home page</Link>
      </p>
    </div>
  );
}
