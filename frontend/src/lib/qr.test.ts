import { describe, expect, it } from 'vitest';
import { modulesToPath, qrDrawing } from './qr';

describe('QR code drawing', () => {
  it('merges runs of dark modules into one rectangle per run', () => {
    const rows = ['110', '001', '111'];
    const matrix = { size: 3, get: (r: number, c: number) => rows[r]?.[c] === '1' };
    expect(modulesToPath(matrix)).toBe('M0 0h2v1h-2zM2 1h1v1h-1zM0 2h3v1h-3z');
    expect(modulesToPath(matrix, 4)).toMatch(/^M4 4h2/);
  });

  it('draws a link offline with a quiet zone', () => {
    const drawing = qrDrawing('http://127.0.0.1:8080/polls/01a221b0-0000-4000-8000-000000000000');
    expect(drawing.size).toBeGreaterThanOrEqual(21 + 8);
    expect(drawing.path.length).toBeGreaterThan(100);
  });
});
