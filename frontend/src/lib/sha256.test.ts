import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256, sha256Words } from './sha256';

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('sha256', () => {
  it('matches the FIPS 180-4 examples', () => {
    expect(hex(sha256(utf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agrees with node:crypto at every length around the block and padding boundaries', () => {
    const data = Uint8Array.from({ length: 200 }, (_, i) => (i * 37 + 11) & 0xff);
    for (let length = 0; length <= data.length; length++) {
      const part = data.subarray(0, length);
      expect(hex(sha256(part)), `length ${length}`).toBe(createHash('sha256').update(part).digest('hex'));
    }
  });

  it('hashes only the first `length` bytes when asked, reusing the output words', () => {
    const out = new Uint32Array(8);
    const bytes = utf8('tally0 and more');
    expect(sha256Words(bytes, 6, out)).toBe(out);
    // hashlib.sha256(b"tally0").hexdigest() == "bbd99bd5...e1cccf"
    expect(out[0]).toBe(0xbbd99bd5);
    expect(out[7]).toBe(0x85e1cccf);
  });
});
