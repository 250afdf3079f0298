// The poll's link with a copy button, the system share sheet where the browser has one
// (`navigator.share`, phones mostly), and the same link as a QR code. Right after creating
// a poll it is the page's first card (`prominent`): bigger QR, the share sheet first, all
// of it above the fold on a phone.
import { useId, useRef, useState } from 'react';
import { useAnnounce } from './Announcer';
import { EmbedSnippet } from './EmbedSnippet';
import { QrCode } from './LazyQrCode';

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

/** Whether this browser has a share sheet for links. */
function canShare(data: ShareData): boolean {
  if (typeof navigator.share !== 'function') return false;
  try {
    return typeof navigator.canShare !== 'function' || navigator.canShare(data);
  } catch {
    return false;
  }
}

interface SharePanelProps {
  url: string;
  /** The poll's question: the share sheet's title. */
  title: string;
  /** Just created: the page's first card, with a large QR code. */
  prominent?: boolean;
}

/** QR sizes in CSS pixels: large enough to scan from across a table when just created. */
const QR_SIZE = { card: 176, prominent: 232 };

export function SharePanel({ url, title, prominent = false }: SharePanelProps) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const announce = useAnnounce();

  const shareData: ShareData = { title, text: title, url };
  const sheet = canShare(shareData);

  async function onShare() {
    try {
      await navigator.share(shareData);
    } catch (error) {
      // Dismissing the sheet is an AbortError: nothing to say.
      if (error instanceof DOMException && error.name === 'AbortError') return;
      const text = 'Could not open the share menu. Copy the link instead.';
      setStatus({ ok: false, text });
      announce(text, 'assertive');
    }
  }

  async function onCopy() {
    const ok = await copyText(url, input.current);
    const text = ok ? 'Link copied to the clipboard.' : 'Could not copy. Select the link and copy it yourself.';
    setStatus({ ok, text });
    announce(text, ok ? 'polite' : 'assertive');
    if (!ok) input.current?.select();
  }

  return (
    <section
      className={`card share${prominent ? ' share-prominent' : ''}`}
      aria-labelledby={`${id}-title`}
      data-testid={prominent ? 'share-first' : 'share-panel'}
    >
      <h2 id={`${id}-title`}>{prominent ? 'Your poll is ready: share it' : 'Share this poll'}</h2>
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
            <button type="button" className={`button${sheet ? ' button-secondary' : ''}`} onClick={onCopy}>
              Copy link
            </button>
          </div>
          {sheet && (
            <button type="button" className="button share-sheet" onClick={onShare} data-testid="share-sheet">
              Share…
            </button>
          )}
          <p className={`copy-status ${status?.ok === false ? 'field-error' : ''}`} data-testid="copy-status">
            {status?.text ?? '\u00a0'}
          </p>
          <p className="field-hint">Or let people scan the QR code with their phone camera.</p>
        </div>
        <QrCode value={url} label="QR code of the link to this poll" size={prominent ? QR_SIZE.prominent : QR_SIZE.card} deferred={!prominent} />
      </div>
      {!prominent && <EmbedSnippet {...embedTarget(url)} title={title} />}
    </section>
  );
}

/** The origin and poll id of a poll's link, for its embed snippet. */
function embedTarget(url: string): { origin: string; pollId: string } {
  const parsed = new URL(url);
  return { origin: parsed.origin, pollId: parsed.pathname.split('/').pop() ?? '' };
}
