// What only the owner can do: close the poll now (with a confirmation step).
import { useRef, useState } from 'react';
import { useMutation } from 'urql';
import { ClosePollMutation } from '../../api/documents';
import { apiErrors, describeError } from '../../api/errors';
import { useAnnounce } from '../../components/Announcer';
import { Notice } from '../../components/Notice';
import { useOnline } from '../../hooks/useOnline';
import type { PollData } from './types';

interface OwnerPanelProps {
  poll: PollData;
  onClosed(): void;
}

export function OwnerPanel({ poll, onClosed }: OwnerPanelProps) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [{ fetching }, closePoll] = useMutation(ClosePollMutation);
  const announce = useAnnounce();
  const online = useOnline();
  const closeButton = useRef<HTMLButtonElement>(null);

  async function close() {
    const result = await closePoll({ id: poll.id });
    if (result.data) {
      setConfirming(false);
      setError(null);
      setDone(true);
      onClosed();
      return;
    }
    const text = apiErrors(result.error).map((e) => describeError(e, { online })).join(' ');
    setError(text);
    announce(text, 'assertive');
  }

  return (
    <section className="card owner-panel" aria-labelledby="owner-title">
      <h2 id="owner-title">Manage</h2>
      {error && (
        <Notice tone="error">
          <p>{error}</p>
        </Notice>
      )}
      {poll.status === 'CLOSED' ? (
        <Notice tone="info" focusOnShow={done} testId="owner-closed">
          <p>This poll is closed. Its results are final.</p>
        </Notice>
      ) : confirming ? (
        <div className="confirm" role="group" aria-labelledby="confirm-close">
          <p id="confirm-close">Close this poll now? Nobody can vote after that, and the results become final.</p>
          <div className="actions">
            <button
              type="button"
              className="button button-danger"
              onClick={() => void close()}
              disabled={fetching}
              autoFocus
            >
              {fetching ? 'Closing…' : 'Close poll now'}
            </button>
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setConfirming(false);
                window.requestAnimationFrame(() => closeButton.current?.focus());
              }}
              disabled={fetching}
            >
              Keep it open
            </button>
          </div>
        </div>
      ) : (
        <button ref={closeButton} type="button" className="button button-secondary" onClick={() => setConfirming(true)}>
          Close poll…
        </button>
      )}
    </section>
  );
}
