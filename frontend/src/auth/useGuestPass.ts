// The page's GuestPass: started when `enabled` (a visitor with no session on a page where
// guests may vote), cancelled when the page goes. The state drives the progress bar.
import { useEffect, useMemo, useState } from 'react';
import { useClient } from 'urql';
import { runMutation } from '../api/call';
import { GuestChallengeMutation, StartGuestSessionMutation } from '../api/guestDocuments';
import { GuestPass, type GuestPassState } from '../lib/guestPass';
import { solveChallenge } from '../lib/solveChallenge';

export function useGuestPass(enabled: boolean): { pass: GuestPass; state: GuestPassState } {
  const client = useClient();
  const [state, setState] = useState<GuestPassState>({ phase: 'idle' });
  const pass = useMemo(
    () =>
      new GuestPass(
        {
          fetchChallenge: async () => (await runMutation(client, GuestChallengeMutation, {})).guestChallenge,
          solve: solveChallenge,
          startSession: async (challenge, nonce) =>
            (await runMutation(client, StartGuestSessionMutation, { input: { challenge, nonce } })).startGuestSession,
        },
        setState,
      ),
    [client],
  );
  useEffect(() => {
    if (!enabled) return;
    pass.start();
  }, [enabled, pass]);
  useEffect(() => () => pass.cancel(), [pass]);
  return { pass, state };
}
