// CSV for spreadsheets (RFC 4180): fields with commas, quotes or line breaks are quoted,
// and text that a spreadsheet would run as a formula (= + - @ at the start) is prefixed
// with an apostrophe, since names come from people.
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header row then one row per record, CRLF line ends as RFC 4180 has them. */
export function csv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | boolean | null | undefined>>): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export interface InvitationRow {
  name: string | null;
  code: string;
  link: string;
  status: string;
  createdAt: string;
  redeemedAt: string | null;
}

/** The owner's list of invitations as a CSV file's text. */
export function invitationsCsv(rows: readonly InvitationRow[]): string {
  return csv(
    ['name', 'code', 'link', 'status', 'created_at', 'redeemed_at'],
    rows.map((r) => [r.name, r.code, r.link, r.status, r.createdAt, r.redeemedAt]),
  );
}
