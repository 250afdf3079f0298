// A Vite plugin that compresses the built app ahead of time: beside each text file of
// dist/ it writes `file.br` (brotli, best quality) and `file.gz` (gzip, level 9), which
// the server sends by the request's Accept-Encoding (api/src/http/web_app.rs). Compressing
// once at build time lets the smallest settings be used at no cost per request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** Files worth compressing (images other than SVG are compressed already). */
const TEXT = /\.(js|mjs|css|html|svg|json|txt|webmanifest|xml|ico)$/;
/** Below this a compressed file saves less than the headers cost. */
const MIN_BYTES = 512;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yield* files(full);
    else yield full;
  }
}

/** Writes `.br` and `.gz` beside every text file of `dir`; returns how many it compressed. */
export function precompressDir(dir: string): number {
  let count = 0;
  for (const file of files(dir)) {
    if (!TEXT.test(file)) continue;
    const body = readFileSync(file);
    if (body.length < MIN_BYTES) continue;
    writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(body, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
          [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
        },
      }),
    );
    count += 1;
  }
  return count;
}

/** The plugin: runs once the bundle is written (production builds only). */
export function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'tally-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const count = precompressDir(outDir);
      this.info(`precompressed ${count} files (.br, .gz)`);
    },
  };
}
