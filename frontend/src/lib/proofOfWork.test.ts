import { describe, expect, it } from 'vitest';
import { checkDifficulty, leadingZeroBits, NonceSearch } from './proofOfWork';
import { solveChallenge, solveInThread } from './solveChallenge';

// Expected nonces from Python, the server's layout (salt's UTF-8 bytes, then the nonce's
// ASCII digits), smallest first:
//   def lz(d): return 256 - int.from_bytes(d, 'big').bit_length()
//   n = 0
//   while lz(hashlib.sha256(salt.encode() + str(n).encode()).digest()) < difficulty: n += 1
const VECTORS: [salt: string, difficulty: number, nonce: string][] = [
  ['', 4, '39'],
  ['tally', 8, '177'],
  ['3q2+7w==', 10, '145'],
  ['tally', 12, '1860'],
  ['sél✓', 12, '2001'], // multi-byte UTF-8
  ['tally', 16, '56473'], // past the first slice of 20,000
];

describe('leadingZeroBits', () => {
  it('counts across words', () => {
    expect(leadingZeroBits(Uint32Array.of(0x80000000, 0, 0, 0, 0, 0, 0, 0))).toBe(0);
    expect(leadingZeroBits(Uint32Array.of(0x0000ffff, 0, 0, 0, 0, 0, 0, 0))).toBe(16);
    expect(leadingZeroBits(Uint32Array.of(0, 1, 0, 0, 0, 0, 0, 0))).toBe(63);
    expect(leadingZeroBits(new Uint32Array(8))).toBe(256);
  });
});

describe('NonceSearch', () => {
  it.each(VECTORS)('finds the smallest nonce for %j at difficulty %i', (salt, difficulty, nonce) => {
    const search = new NonceSearch(salt, difficulty);
    expect(search.search(0, 100_000)).toBe(Number(nonce));
    expect(search.accepts(Number(nonce))).toBe(true);
    // A search that starts past the answer does not report it.
    expect(search.search(Number(nonce) + 1, 1)).toBeNull();
  });

  it('accepts nonce 0 at difficulty 0', () => {
    expect(new NonceSearch('anything', 0).search(0, 1)).toBe(0);
  });

  it('refuses a difficulty no digest can meet', () => {
    expect(() => checkDifficulty(257)).toThrow(RangeError);
    expect(() => checkDifficulty(-1)).toThrow(RangeError);
    expect(() => checkDifficulty(1.5)).toThrow(RangeError);
    expect(() => checkDifficulty(256)).not.toThrow();
  });
});

describe('solveChallenge', () => {
  it('returns the nonce as a decimal string', async () => {
    for (const [salt, difficulty, nonce] of VECTORS) {
      await expect(solveChallenge(salt, difficulty)).resolves.toBe(nonce);
    }
    await expect(solveChallenge('x', 0)).resolves.toBe('0');
  });

  it('reports progress slice by slice, ending at the nonces tried', async () => {
    const reports: number[] = [];
    await solveInThread('tally', 16, undefined, (tried) => reports.push(tried));
    expect(reports).toEqual([20_000, 40_000, 56_474]);
  });

  it('stops when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const reason = new Error('left the page');
    // 64 bits of work would take ages: abort it after its first slice.
    const solving = solveInThread('tally', 64, controller.signal, () => controller.abort(reason));
    await expect(solving).rejects.toBe(reason);
    const before = new AbortController();
    before.abort();
    await expect(solveChallenge('tally', 8, before.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects a difficulty out of range', async () => {
    await expect(solveChallenge('tally', 300)).rejects.toThrow(RangeError);
  });
});
