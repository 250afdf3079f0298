// `<input type="datetime-local">` speaks local wall-clock time without an offset
// ("2026-11-28T14:30"); the API speaks RFC 3339 instants. These convert between them.

const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;

function pad(n: number, width = 2): string {
  return String(Math.trunc(Math.abs(n))).padStart(width, '0');
}

/** The offset of `date` in this time zone as `+01:00` / `-05:30` / `+00:00`. */
export function offsetString(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.abs(minutes) / 60)}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * A `datetime-local` value as an RFC 3339 string with this time zone's offset
 * ("2026-11-28T14:30" in Berlin → "2026-11-28T14:30:00+01:00"). Empty → null;
 * malformed → undefined. A wall time skipped by a DST change moves forward, as Date does.
 */
export function localInputToIso(value: string): string | null | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const match = LOCAL_INPUT.exec(trimmed);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const date = new Date(year, month - 1, day, hour, minute, second);
  if (date.getMonth() !== month - 1 || date.getDate() !== day) return undefined; // e.g. 31 April
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    offsetString(date)
  );
}

/** An instant as a `datetime-local` value in this time zone (minutes precision); "" if invalid. */
export function isoToLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return (
    `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`
  );
}

/** Milliseconds since the epoch of an RFC 3339 string, or NaN. */
export function instant(iso: string | null | undefined): number {
  return iso ? new Date(iso).getTime() : Number.NaN;
}

const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An instant for people, in their locale and time zone. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatter.format(date);
}
