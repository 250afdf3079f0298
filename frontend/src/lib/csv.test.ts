import { describe, expect, it } from 'vitest';
import { csv, csvField, invitationsCsv } from './csv';

describe('csvField', () => {
  it('quotes commas, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('@home')).toBe("'@home");
    expect(csvField(-1)).toBe('-1');
  });

  it('leaves missing values empty', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });
});

describe('invitationsCsv', () => {
  it('has a header and one CRLF-ended row per invitation', () => {
    const text = invitationsCsv([
      { name: 'Ana, the treasurer', code: 'k3Jx', link: 'https://t.example/i/k3Jx', status: 'REDEEMED', createdAt: '2026-12-06T10:00:00Z', redeemedAt: '2026-12-06T11:00:00Z' },
      { name: null, code: 'p9Qa', link: 'https://t.example/i/p9Qa', status: 'PENDING', createdAt: '2026-12-06T10:00:00Z', redeemedAt: null },
    ]);
    expect(text).toBe(
      'name,code,link,status,created_at,redeemed_at\r\n' +
        '"Ana, the treasurer",k3Jx,https://t.example/i/k3Jx,REDEEMED,2026-12-06T10:00:00Z,2026-12-06T11:00:00Z\r\n' +
        ',p9Qa,https://t.example/i/p9Qa,PENDING,2026-12-06T10:00:00Z,\r\n',
    );
  });

  it('is just the header for no invitations', () => {
    expect(csv(['a', 'b'], [])).toBe('a,b\r\n');
  });
});
