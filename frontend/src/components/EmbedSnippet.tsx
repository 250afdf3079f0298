// The HTML a site owner pastes to embed a poll: the widget's <iframe> and a few lines of
// script that size it to the height the widget reports (postMessage 'tally:height'),
// accepting messages from the widget's own origin only. Copyable in one click.
import { useId, useState } from 'react';

/** The snippet for the poll at `origin`/polls/`pollId`. */
export function embedSnippet(origin: string, pollId: string, title: string): string {
  const safeTitle = title.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const frameId = `tally-${pollId}`;
  return [
    `<iframe id="${frameId}" src="${origin}/embed/polls/${pollId}" title="Poll: ${safeTitle}" width="100%" height="400" style="border:0;max-width:480px" loading="lazy"></iframe>`,
    `<script>addEventListener('message',function(e){if(e.origin!=='${origin}'||!e.data||e.data.type!=='tally:height'||e.data.pollId!=='${pollId}')return;document.getElementById('${frameId}').style.height=e.data.height+'px'});</script>`,
  ].join('\n');
}

export function EmbedSnippet({ origin, pollId, title }: { origin: string; pollId: string; title: string }) {
  const id = useId();
  const [copied, setCopied] = useState<boolean | null>(null);
  const snippet = embedSnippet(origin, pollId, title);
  async function copy() {
    try {
      await navigator.clipboard.writeText(snippet);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }
  return (
    <details className="embed-snippet" data-testid="embed-snippet">
      <summary>Embed on a website</summary>
      <label htmlFor={id} className="field-hint">
        Paste this HTML where the poll should appear. It votes and shows live results.
      </label>
      <textarea id={id} readOnly rows={5} value={snippet} onFocus={(e) => e.currentTarget.select()} data-testid="embed-code" />
      <button type="button" className="button button-secondary button-small" onClick={() => void copy()}>
        Copy embed code
      </button>
      <span role="status" className="field-hint">
        {copied === true ? ' Embed code copied.' : copied === false ? ' Select the code and copy it.' : ''}
      </span>
    </details>
  );
}
