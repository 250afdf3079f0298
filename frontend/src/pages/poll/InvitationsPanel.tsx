// The owner's invitations for an invitation-only poll: counts, creating a number of codes
// or one per name, the list with copy-link and revoke buttons, and the list as CSV.
import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import { useClient, useMutation } from 'urql';
import { runQuery } from '../../api/call';
import { apiErrors, describeError, errorsOf, formErrors } from '../../api/errors';
import { CreateInvitationsMutation, PollInvitationsQuery, RevokeInvitationMutation } from '../../api/invitationDocuments';
import { useAnnounce } from '../../components/Announcer';
import { TextAreaField, TextField } from '../../components/Field';
import { Notice } from '../../components/Notice';
import { useOnline } from '../../hooks/useOnline';
import { invitationsCsv } from '../../lib/csv';
import { formatDateTime } from '../../lib/datetime';
import { saveBlob } from '../../lib/download';
import { invitationRequest } from '../../lib/invitation';
import type { InvitationFieldsFragment, InvitationStatus, PollInvitationsQuery as PollInvitationsData } from '../../gql/graphql';

/** Invitations per page of the list (and per request when downloading them all). */
const PAGE = 50;

type Counts = NonNullable<NonNullable<PollInvitationsData['poll']>['invitationCounts']>;

const STATUS_WORDS: Record<InvitationStatus, string> = {
  PENDING: 'Not used yet',
  REDEEMED: 'Accepted',
  REVOKED: 'Withdrawn',
};

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

export function InvitationsPanel({ pollId, pollTitle }: { pollId: string; pollTitle: string }) {
  const id = useId();
  const client = useClient();
  const announce = useAnnounce();
  const online = useOnline();
  const [rows, setRows] = useState<InvitationFieldsFragment[]>([]);
  const [counts, setCounts] = useState<Counts | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [problem, setProblem] = useState<string | null>(null);
  const [mode, setMode] = useState<'count' | 'names'>('count');
  const [count, setCount] = useState('10');
  const [names, setNames] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ n: number; seq: number } | null>(null);
  const [{ fetching: creating }, create] = useMutation(CreateInvitationsMutation);
  const [{ fetching: revoking }, revoke] = useMutation(RevokeInvitationMutation);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const data = await runQuery(client, PollInvitationsQuery, { id: pollId, first: PAGE, after });
        const page = data.poll?.invitations;
        setCounts(data.poll?.invitationCounts ?? null);
        setRows((r) => [...(after ? r : []), ...(page?.edges.map((e) => e.node) ?? [])]);
        setNext(page?.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
        setProblem(null);
      } catch (caught) {
        setProblem(errorsOf(caught).map((e) => describeError(e, { online })).join(' '));
      } finally {
        setLoading(false);
      }
    },
    [client, pollId, online],
  );

  useEffect(() => {
    void load(null);
  }, [load]);

  async function onCreate(event: FormEvent) {
    event.preventDefault();
    const request = invitationRequest(mode, count, names);
    if (!request.ok) {
      setFieldErrors({ [request.field]: request.message });
      document.getElementById(`${id}-${request.field}`)?.focus();
      return;
    }
    setFieldErrors({});
    const result = await create({ input: { pollId, ...request.input } });
    if (result.data) {
      const n = result.data.createInvitations.length;
      setCreated((c) => ({ n, seq: (c?.seq ?? 0) + 1 }));
      setNames('');
      await load(null);
      return;
    }
    const split = formErrors(apiErrors(result.error));
    setFieldErrors(split.fields);
    const text = split.general.map((e) => describeError(e, { online })).join(' ');
    setProblem(text || null);
    announce(text || Object.values(split.fields).join(' '), 'assertive');
  }

  async function onRevoke(invitation: InvitationFieldsFragment) {
    const result = await revoke({ id: invitation.id });
    if (result.data) {
      announce(`Invitation ${invitation.name ?? invitation.code} withdrawn.`);
      await load(null);
      return;
    }
    const text = apiErrors(result.error).map((e) => describeError(e, { online })).join(' ');
    setProblem(text);
    announce(text, 'assertive');
    await load(null);
  }

  async function onCopy(link: string) {
    const ok = await copy(link);
    announce(ok ? 'Invitation link copied to the clipboard.' : 'Could not copy. Select the link and copy it yourself.', ok ? 'polite' : 'assertive');
  }

  async function onDownload() {
    // Every invitation, not just the pages shown.
    try {
      const all: InvitationFieldsFragment[] = [];
      let after: string | null = null;
      for (;;) {
        const data: PollInvitationsData = await runQuery(client, PollInvitationsQuery, { id: pollId, first: PAGE, after });
        const page = data.poll?.invitations;
        all.push(...(page?.edges.map((e) => e.node) ?? []));
        if (!page?.pageInfo.hasNextPage || !page.pageInfo.endCursor) break;
        after = page.pageInfo.endCursor;
      }
      const slug = pollTitle.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'poll';
      saveBlob(new Blob([invitationsCsv(all)], { type: 'text/csv;charset=utf-8' }), `invitations-${slug}.csv`);
      announce(`Downloading ${all.length} invitations as CSV.`);
    } catch (caught) {
      const text = errorsOf(caught).map((e) => describeError(e, { online })).join(' ');
      setProblem(text);
      announce(text, 'assertive');
    }
  }

  return (
    <section className="card invitations" aria-labelledby={`${id}-title`} data-testid="invitations">
      <h2 id={`${id}-title`}>Invitations</h2>
      <p className="field-hint">Only people who accept an invitation link can vote. Each link is for one person.</p>
      {counts && (
        <dl className="invitation-counts" data-testid="invitation-counts">
          <div>
            <dt>Issued</dt>
            <dd data-testid="invitations-issued">{counts.issued}</dd>
          </div>
          <div>
            <dt>Accepted</dt>
            <dd data-testid="invitations-redeemed">{counts.redeemed}</dd>
          </div>
          <div>
            <dt>Voted</dt>
            <dd data-testid="invitations-voted">{counts.voted}</dd>
          </div>
          <div>
            <dt>Withdrawn</dt>
            <dd data-testid="invitations-revoked">{counts.revoked}</dd>
          </div>
        </dl>
      )}
      {problem && (
        <Notice tone="error" testId="invitations-error">
          <p>{problem}</p>
        </Notice>
      )}
      {created && (
        <Notice tone="success" focusOnShow focusKey={created.seq} testId="invitations-created">
          <p>{created.n === 1 ? '1 invitation created.' : `${created.n} invitations created.`} Copy their links below.</p>
        </Notice>
      )}
      <form onSubmit={onCreate} noValidate className="stack">
        <fieldset className="fieldset">
          <legend>New invitations</legend>
          <div className="choice">
            <input id={`${id}-mode-count`} type="radio" name={`${id}-mode`} checked={mode === 'count'} onChange={() => setMode('count')} />
            <label htmlFor={`${id}-mode-count`}>A number of invitations</label>
          </div>
          <div className="choice">
            <input id={`${id}-mode-names`} type="radio" name={`${id}-mode`} checked={mode === 'names'} onChange={() => setMode('names')} />
            <label htmlFor={`${id}-mode-names`}>One for each name</label>
          </div>
        </fieldset>
        {mode === 'count' ? (
          <TextField
            id={`${id}-count`}
            label="How many"
            type="number"
            inputMode="numeric"
            min={1}
            value={count}
            onChange={(e) => setCount(e.target.value)}
            error={fieldErrors.count}
          />
        ) : (
          <TextAreaField
            id={`${id}-names`}
            label="Names"
            hint="One per line. Only you see them: they help you know whom each link is for."
            rows={4}
            value={names}
            onChange={(e) => setNames(e.target.value)}
            error={fieldErrors.names}
          />
        )}
        <div className="actions">
          <button type="submit" className="button" disabled={creating || !online}>
            {creating ? 'Creating…' : 'Create invitations'}
          </button>
          <button type="button" className="button button-secondary" onClick={() => void onDownload()} disabled={rows.length === 0}>
            Download as CSV
          </button>
        </div>
      </form>
      {rows.length > 0 ? (
        <div className="table-scroll">
          <table className="invitation-table" data-testid="invitation-list">
            <caption className="visually-hidden">Invitations to this poll</caption>
            <thead>
              <tr>
                <th scope="col">For</th>
                <th scope="col">Status</th>
                <th scope="col">Link</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((invitation) => (
                <tr key={invitation.id} data-status={invitation.status} data-code={invitation.code}>
                  <th scope="row">{invitation.name ?? <span className="muted">Code {invitation.code}</span>}</th>
                  <td>
                    {STATUS_WORDS[invitation.status]}
                    {invitation.redeemedAt && <span className="field-hint"> {formatDateTime(invitation.redeemedAt)}</span>}
                  </td>
                  <td>
                    <input className="invitation-link" readOnly value={invitation.link} aria-label={`Link for ${invitation.name ?? `code ${invitation.code}`}`} onFocus={(e) => e.currentTarget.select()} data-testid="invitation-link" />
                  </td>
                  <td>
                    <div className="actions row-actions">
                    <button type="button" className="button button-small button-secondary" onClick={() => void onCopy(invitation.link)}>
                      Copy link<span className="visually-hidden"> for {invitation.name ?? `code ${invitation.code}`}</span>
                    </button>
                    {invitation.status === 'PENDING' && (
                      <button type="button" className="button button-small button-secondary" onClick={() => void onRevoke(invitation)} disabled={revoking}>
                        Withdraw<span className="visually-hidden"> {invitation.name ?? `code ${invitation.code}`}</span>
                      </button>
                    )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        !loading && <p className="field-hint">No invitations yet.</p>
      )}
      {next && (
        <button type="button" className="button button-secondary" onClick={() => void load(next)} disabled={loading}>
          {loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  );
}
