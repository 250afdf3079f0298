import { afterEach, describe, expect, it } from 'vitest';
import { instant, isoToLocalInput, localInputToIso, offsetString } from './datetime';

const originalTz = process.env.TZ;
function inZone(zone: string) {
  process.env.TZ = zone; // Node picks up a changed TZ for every later Date
}
afterEach(() => {
  process.env.TZ = originalTz;
});

describe('datetime-local → RFC 3339 with offset', () => {
  it('adds the zone’s offset at that date (winter and summer time)', () => {
    inZone('Europe/Berlin');
    expect(localInputToIso('2026-11-28T14:30')).toBe('2026-11-28T14:30:00+01:00');
    expect(localInputToIso('2026-07-01T09:05')).toBe('2026-07-01T09:05:00+02:00');
  });

  it('handles negative and half-hour offsets', () => {
    inZone('America/St_Johns');
    expect(localInputToIso('2026-01-15T08:00')).toBe('2026-01-15T08:00:00-03:30');
    inZone('Asia/Kolkata');
    expect(localInputToIso('2026-01-15T08:00:30')).toBe('2026-01-15T08:00:30+05:30');
    inZone('UTC');
    expect(localInputToIso('2026-01-15T08:00')).toBe('2026-01-15T08:00:00+00:00');
  });

  it('names the same instant as the input', () => {
    inZone('America/New_York');
    const iso = localInputToIso('2026-03-01T12:00');
    expect(iso).toBe('2026-03-01T12:00:00-05:00');
    expect(new Date(iso as string).toISOString()).toBe('2026-03-01T17:00:00.000Z');
  });

  it('moves a wall time skipped by DST forward', () => {
    inZone('Europe/Berlin');
    expect(localInputToIso('2026-03-29T02:30')).toBe('2026-03-29T03:30:00+02:00');
  });

  it('is null when empty and undefined when malformed', () => {
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('   ')).toBeNull();
    expect(localInputToIso('tomorrow')).toBeUndefined();
    expect(localInputToIso('2026-02-30T10:00')).toBeUndefined();
    expect(localInputToIso('2026-13-01T10:00')).toBeUndefined();
    expect(localInputToIso('2026-01-01T24:00')).toBeUndefined();
  });
});

describe('RFC 3339 → datetime-local', () => {
  it('shows an instant in the local zone', () => {
    inZone('Europe/Berlin');
    expect(isoToLocalInput('2026-11-28T13:30:00Z')).toBe('2026-11-28T14:30');
    expect(isoToLocalInput('2026-11-28T07:53:41.090595Z')).toBe('2026-11-28T08:53');
    expect(isoToLocalInput('nonsense')).toBe('');
  });

  it('round-trips', () => {
    inZone('Australia/Adelaide');
    const iso = localInputToIso('2026-06-10T18:45') as string;
    expect(isoToLocalInput(iso)).toBe('2026-06-10T18:45');
  });
});

describe('helpers', () => {
  it('formats offsets', () => {
    inZone('Asia/Kathmandu');
    expect(offsetString(new Date('2026-01-01T00:00:00Z'))).toBe('+05:45');
  });

  it('reads instants', () => {
    expect(instant('2026-01-01T00:00:00Z')).toBe(Date.UTC(2026, 0, 1));
    expect(Number.isNaN(instant(null))).toBe(true);
  });
});
