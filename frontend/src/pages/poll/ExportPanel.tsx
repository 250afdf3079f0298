// The owner's downloads: ballots and results, as CSV or JSON, and a RANKED poll's ballots
// as BLT (lib/exports.ts).
import { useState } from 'react';
import type { PollKind } from '../../gql/graphql';
import { describeError } from '../../api/errors';
import { useAuth } from '../../auth/AuthProvider';
import { useAnnounce } from '../../components/Announcer';
import { Notice } from '../../components/Notice';
import { useOnline } from '../../hooks/useOnline';
import { saveBlob } from '../../lib/download';
import { describeExportError, ExportFailure, fetchExport, type ExportFormat, type ExportWhat } from '../../lib/exports';

const CHOICES: ReadonlyArray<{ what: ExportWhat; format: ExportFormat; label: string }> = [
  { what: 'results', format: 'csv', label: 'Results (CSV)' },
  { what: 'results', format: 'json', label: 'Results (JSON)' },
  { what: 'ballots', format: 'csv', label: 'Ballots (CSV)' },
  { what: 'ballots', format: 'json', label: 'Ballots (JSON)' },
];
/** RANKED polls only: the server refuses BLT for other kinds. */
const BLT = { what: 'ballots', format: 'blt', label: 'Ballots (BLT)' } as const;

export function ExportPanel({ pollId, anonymous, kind }: { pollId: string; anonymous: boolean; kind: PollKind }) {
  const choices = kind === 'RANKED' ? [...CHOICES, BLT] : CHOICES;
  const { session } = useAuth();
  const announce = useAnnounce();
  const online = useOnline();
  const [busy, setBusy] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function download(what: ExportWhat, format: ExportFormat, label: string) {
    if (!session) return;
    setBusy(label);
    setProblem(null);
    try {
      const file = await fetchExport((input, init) => fetch(input, init), session.token, pollId, what, format);
      saveBlob(file.blob, file.filename);
      announce(`${label} downloaded as ${file.filename}.`);
    } catch (caught) {
      const error = caught instanceof ExportFailure ? caught.error : { code: 'UNKNOWN', message: String(caught) };
      const text = describeExportError(error, (e) => describeError(e, { online }));
      setProblem(text);
      announce(text, 'assertive');
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="card export-panel" aria-labelledby="export-title" data-testid="exports">
      <h2 id="export-title">Export</h2>
      <p className="field-hint">
        Ballots list each vote with when it was cast{anonymous ? ' (never who cast it: this poll is anonymous)' : ' and who cast it'}.
        {kind === 'RANKED' && ' BLT holds the rankings alone, in the format election counting programs (such as OpenSTV) read.'}
      </p>
      {problem && (
        <Notice tone="error" testId="export-error">
          <p>{problem}</p>
        </Notice>
      )}
      <div className="actions">
        {choices.map((c) => (
          <button
            key={c.label}
            type="button"
            className="button button-small button-secondary"
            onClick={() => void download(c.what, c.format, c.label)}
            disabled={busy !== null || !online}
          >
            {busy === c.label ? 'Downloading…' : c.label}
          </button>
        ))}
      </div>
    </section>
  );
}
