import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { precompress } from './build/precompress';

// The API server (`make run` in the repository root) listens on 127.0.0.1:8080. In
// development Vite serves the app and forwards the API to it, WebSocket included
// (`/graphql/ws`, live results), so the app talks to its own origin as in production.
const api = process.env.TALLY_API ?? 'http://127.0.0.1:8080';

const proxy = {
  '/graphql': { target: api, ws: true, changeOrigin: true },
  '/healthz': { target: api },
  '/exports': { target: api },
};

// The production build runs the app on Preact's React-compatible layer: the same
// components and hooks, ~10 kB of runtime instead of react-dom's ~66 kB (gzipped), which
// is most of what keeps the poll page within its 80 kB budget on a phone (e2e/budget.mjs).
// Development and type checks stay on React; the e2e suite tests the production build.
const preact = [
  { find: /^react-dom\/client$/, replacement: 'preact/compat/client' },
  { find: /^react-dom$/, replacement: 'preact/compat' },
  { find: /^react\/jsx-runtime$/, replacement: 'preact/jsx-runtime' },
  { find: /^react\/jsx-dev-runtime$/, replacement: 'preact/jsx-dev-runtime' },
  { find: /^react$/, replacement: 'preact/compat' },
];

export default defineConfig(({ command }) => ({
  plugins: [react(), precompress()],
  resolve: { alias: command === 'build' ? preact : [] },
  server: { proxy },
  preview: { proxy },
  build: {
    outDir: 'dist',
    // No source maps in what is served: they hand out the app's source (and the server
    // refuses *.map in production anyway). `vite` in development has its own; for an
    // error tracker, build with `--sourcemap hidden` and upload them from dist/.
    sourcemap: false,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
}));
