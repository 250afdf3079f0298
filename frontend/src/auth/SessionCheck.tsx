// Asks the API who the stored token belongs to once per session. An expired or invalid
// token answers UNAUTHENTICATED, which signs the user out (see api/client.ts).
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { ViewerQuery } from '../api/documents';
import { useAuth } from './AuthProvider';

export function SessionCheck() {
  const { session, signIn } = useAuth();
  const [{ data }] = useQuery({ query: ViewerQuery, pause: !session, requestPolicy: 'network-only' });
  const viewer = data?.viewer;
  useEffect(() => {
    // Keep the header's name right if the account was renamed.
    if (session && viewer && viewer.id === session.user.id && viewer.username !== session.user.username) {
      signIn({ ...session, user: { id: viewer.id, username: viewer.username } });
    }
  }, [session, viewer, signIn]);
  return null;
}
