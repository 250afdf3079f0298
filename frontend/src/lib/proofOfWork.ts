// The guest proof of work, as the server checks it: find the smallest decimal nonce
// n >= 0 such that SHA-256(UTF-8 bytes of salt, then the ASCII digits of n) starts with
// at least `difficulty` zero bits. Pure and synchronous; `solveChallenge` runs it in a
// Web Worker, a slice at a time.
import { sha256Words } from './sha256';

/** A digest has 256 bits; no challenge can ask for more. */
export const MAX_DIFFICULTY = 256;

/** Nonces tried between two progress reports (and checks for cancellation). */
export const SLICE = 20_000;

/** The number of leading zero bits of a digest given as big-endian 32-bit words. */
export function leadingZeroBits(words: Uint32Array): number {
  let bits = 0;
  for (const word of words) {
    if (word !== 0) return bits + Math.clz32(word);
    bits += 32;
  }
  return bits;
}

/** Throws a RangeError unless `difficulty` is a whole number of bits a digest can have. */
export function checkDifficulty(difficulty: number): void {
  if (!Number.isInteger(difficulty) || difficulty < 0 || difficulty > MAX_DIFFICULTY) {
    throw new RangeError(`difficulty must be a whole number from 0 to ${MAX_DIFFICULTY}, not ${difficulty}`);
  }
}

/** How many nonces a solver tries on average: 2^difficulty. For progress estimates. */
export function expectedTries(difficulty: number): number {
  return 2 ** difficulty;
}

/** A solver for one salt: the salt's bytes stay in one buffer, each nonce's digits follow. */
export class NonceSearch {
  private readonly buffer: Uint8Array;
  private readonly saltLength: number;
  private readonly digest = new Uint32Array(8);

  constructor(
    salt: string,
    private readonly difficulty: number,
  ) {
    checkDifficulty(difficulty);
    const bytes = new TextEncoder().encode(salt);
    this.saltLength = bytes.length;
    // Room for the longest safe integer's digits (16).
    this.buffer = new Uint8Array(bytes.length + 16);
    this.buffer.set(bytes);
  }

  /** Whether `nonce` meets the difficulty. */
  accepts(nonce: number): boolean {
    const digits = String(nonce);
    for (let i = 0; i < digits.length; i++) this.buffer[this.saltLength + i] = digits.charCodeAt(i);
    sha256Words(this.buffer, this.saltLength + digits.length, this.digest);
    return leadingZeroBits(this.digest) >= this.difficulty;
  }

  /** The first nonce in [from, from + count) that meets the difficulty, or null. */
  search(from: number, count: number): number | null {
    const end = Math.min(from + count, Number.MAX_SAFE_INTEGER);
    for (let n = from; n < end; n++) if (this.accepts(n)) return n;
    return null;
  }
}

/** Asks the worker to solve a challenge. */
export interface SolveRequest {
  salt: string;
  difficulty: number;
}

/** What the worker says back: nonces tried so far, then the answer (or why not). */
export type SolveMessage =
  | { type: 'progress'; tried: number }
  | { type: 'solved'; nonce: string; tried: number }
  | { type: 'failed'; message: string };
