// The poll's link with a copy button, and the same link as a QR code.
import { useId, useRef, useState } from 'react';
import { useAnnounce } from './Announcer';
import { QrCode } from './QrCode';

async function copyText(text: string, fallbackInput: HTMLInputElement | null): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the selection-based copy
  }
  if (!fallbackInput) return false;
  fallbackInput.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

export function SharePanel({ url }: { url: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const announce = useAnnounce();

  async function onCopy() {
    const ok = await copyText(url, input.current);
    const text = ok ? 'Link copied to the clipboard.' : 'Could not copy. Select the link and copy it yourself.';
    setStatus({ ok, text });
    announce(text, ok ? 'polite' : 'assertive');
    if (!ok) input.current?.select();
  }

  return (
    <section className="card share" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Share this poll</h2>
      <div className="share-body">
        <div className="share-link stack">
          <label htmlFor={`${id}-link`}>Link to this poll</label>
          <div className="copy-row">
            <input
              ref={input}
              id={`${id}-link`}
              type="url"
              readOnly
              value={url}
              onFocus={(e) => e.currentTarget.select()}
              data-testid="share-link"
            />
            <button type="button" className="button" onClick={onCopy}>
              Copy link
            </button>
          </div>
          <p className={`copy-status ${status?.ok === false ? 'field-error' : ''}`} data-testid="copy-status">
            {status?.text ?? '\u00a0'}
          </p>
          <p className="field-hint">Or let people scan the QR code with their phone camera.</p>
        </div>
        <QrCode value={url} label="QR code of the link to this poll" />
      </div>
    </section>
  );
}
