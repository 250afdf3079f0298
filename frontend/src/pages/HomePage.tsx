import { Link } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { JoinCodeForm } from '../components/JoinCodeForm';
import { PageHeading } from '../components/PageHeading';
import { PollList } from '../components/PollList';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

export function HomePage() {
  useDocumentTitle('');
  const { session } = useAuth();
  return (
    <div className="stack">
      <div className="intro">
        <PageHeading>Ask a question, watch the answers arrive</PageHeading>
        <p className="lead">
          Create a poll, share its link or QR code, and see every vote counted live, exactly once.
        </p>
        <p>
          <Link to="/polls/new" className="button">
            Create a poll
          </Link>{' '}
          {!session && (
            <Link to="/signup" className="button button-secondary">
              Sign up
            </Link>
          )}
        </p>
        <JoinCodeForm />
      </div>
      <section aria-labelledby="open-polls" className="stack">
        <h2 id="open-polls">Open polls</h2>
        <PollList
          filter={{ status: 'OPEN' }}
          labelledBy="open-polls"
          empty={<p>No open polls right now. Why not start one?</p>}
        />
      </section>
    </div>
  );
}
