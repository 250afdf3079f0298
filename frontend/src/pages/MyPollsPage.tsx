import { Link } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { PageHeading } from '../components/PageHeading';
import { PollList } from '../components/PollList';
import { useDocumentTitle } from '../hooks/useDocumentTitle';

export function MyPollsPage() {
  useDocumentTitle('My polls');
  const { session } = useAuth();
  if (!session) return null; // RequireAuth sends anonymous visitors to sign in
  return (
    <div className="stack">
      <PageHeading>My polls</PageHeading>
      <div className="two-columns">
        <section aria-labelledby="created-polls" className="stack">
          <h2 id="created-polls">Polls I created</h2>
          <PollList
            filter={{ ownerId: session.user.id }}
            labelledBy="created-polls"
            testId="created-polls"
            empty={
              <p>
                You have not created a poll yet. <Link to="/polls/new">Create one</Link>.
              </p>
            }
          />
        </section>
        <section aria-labelledby="voted-polls" className="stack">
          <h2 id="voted-polls">Polls I voted in</h2>
          <PollList
            filter={{ votedByViewer: true }}
            labelledBy="voted-polls"
            testId="voted-polls"
            empty={
              <p>
                You have not voted yet. <Link to="/">See the open polls</Link>.
              </p>
            }
          />
        </section>
      </div>
    </div>
  );
}
