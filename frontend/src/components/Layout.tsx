// The frame of every page: skip link, header with navigation and who is signed in, the
// offline banner, and <main>.
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthProvider';
import { isGuest } from '../auth/session';
import { useOnline } from '../hooks/useOnline';
import { useReach } from '../hooks/useReach';
import { useAnnounce } from './Announcer';
import { ClaimNotice } from './ClaimNotice';

/**
 * Says so when the app cannot talk to Tally: the device is offline, or the server does not
 * answer (api/reachability.ts). It goes away by itself when the connection is back.
 */
function ConnectionBanner() {
  const online = useOnline();
  const { state } = useReach();
  // The live region stays in the page, so the message is read out when it appears.
  return (
    <div role="status" className="connection-status">
      {!online ? (
        <div className="offline-banner" data-testid="offline-banner">
          You are offline. Votes and new polls cannot be sent until your connection is back.
        </div>
      ) : state === 'unreachable' ? (
        <div className="offline-banner" data-testid="unreachable-banner">
          Can’t reach Tally — results may be out of date; retrying…
        </div>
      ) : null}
    </div>
  );
}

function Account() {
  const { session, signOut } = useAuth();
  const navigate = useNavigate();
  const announce = useAnnounce();
  if (isGuest(session)) {
    // A guest keeps the sign-in links: signing up or in moves their guest votes over.
    return (
      <div className="account">
        <span className="account-name" data-testid="signed-in-as">
          Voting as a <strong>guest</strong>
        </span>
        <ul className="nav-list">
          <li>
            <NavLink to="/login">Sign in</NavLink>
          </li>
          <li>
            <NavLink to="/signup" className="button button-small">
              Sign up to keep your votes
            </NavLink>
          </li>
        </ul>
      </div>
    );
  }
  if (!session) {
    return (
      <ul className="nav-list">
        <li>
          <NavLink to="/login">Sign in</NavLink>
        </li>
        <li>
          <NavLink to="/signup" className="button button-small">
            Sign up
          </NavLink>
        </li>
      </ul>
    );
  }
  return (
    <div className="account">
      <span className="account-name" data-testid="signed-in-as">
        Signed in as <strong>{session.user.username}</strong>
      </span>
      <button
        type="button"
        className="button button-small button-secondary"
        onClick={() => {
          signOut('user');
          announce('You are signed out.');
          navigate('/');
        }}
      >
        Sign out
      </button>
    </div>
  );
}

export function Layout() {
  const { session } = useAuth();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="site-header">
        <div className="site-header-inner">
          <Link to="/" className="brand" aria-label="Tally home">
            <span aria-hidden="true" className="brand-mark" />
            Tally
          </Link>
          <nav aria-label="Main">
            <ul className="nav-list">
              <li>
                <NavLink to="/" end>
                  Open polls
                </NavLink>
              </li>
              <li>
                <NavLink to="/polls/new">New poll</NavLink>
              </li>
              {session && (
                <li>
                  <NavLink to="/me">My polls</NavLink>
                </li>
              )}
            </ul>
          </nav>
          <Account />
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1} className="site-main">
        <ClaimNotice />
        <Outlet />
      </main>
      <footer className="site-footer">
        <p>Tally: polls with exactly-once votes and live results.</p>
      </footer>
    </>
  );
}
