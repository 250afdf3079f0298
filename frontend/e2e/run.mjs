#!/usr/bin/env node
// End-to-end test of the built app against a real Tally server.
//
// Starts the server (TALLY_BIN, default ../target/debug/tally) on a free port with a fresh
// SQLite data directory, serving frontend/dist; drives Debian's Chromium through
// playwright-core with two users: sign up, create and share a poll, vote, watch each
// other's votes arrive live, close the poll, check the final result; a RANKED poll that two
// voters rank by buttons and keys while the owner watches the instant-runoff rounds change
// live, and a SCORE vote; checks that the app
// sends its operations by hash, and that GraphiQL loads with nothing from the internet.
// Saves a screenshot of the results page to test-results/results.png. Exits non-zero on
// any failure.
//
// Needs `npm run build` first (it tests frontend/dist) and a server binary
// (`cargo build -p tally` in the repository root).
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { captured, screenshotsDir } from './capture.mjs';
import { finishSteps } from './finish.mjs';
import { looksSteps } from './looks.mjs';
import { outageSteps } from './outage.mjs';
import { embedSteps, joinSteps, reachSteps } from './reach.mjs';
import { shareFirstSteps } from './share.mjs';

const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const distDir = path.join(frontendDir, 'dist');
const resultsDir = path.join(frontendDir, 'test-results');
const serverLogPath = path.join(resultsDir, 'server.log');
/** The two sizes every product step runs at (issue 16): a laptop and a phone. */
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
/** How fast another viewer must see a vote, from the moment the voter's page confirmed it. */
const LIVE_DEADLINE_MS = 2000;

/** @param {string} message */
function fail(message) {
  console.error(`e2e: ${message}`);
  console.error('e2e: 0 passed, 1 failed');
  process.exit(1);
}

// --- preconditions ---------------------------------------------------------------------

function checkDist() {
  const index = path.join(distDir, 'index.html');
  if (!existsSync(index)) {
    fail(`${path.relative(process.cwd(), distDir) || 'dist'}/index.html is missing: run \`npm run build\` in frontend/ first.`);
  }
  const built = statSync(index).mtimeMs;
  const newer = ['src', 'index.html', '../schema.graphql']
    .map((p) => path.join(frontendDir, p))
    .filter((p) => existsSync(p) && newestMtime(p) > built);
  if (newer.length) {
    console.warn(`e2e: warning: dist/ is older than ${newer.map((p) => path.relative(frontendDir, p)).join(', ')}; run \`npm run build\` to test the current code.`);
  }
}

/** @param {string} p @returns {number} */
function newestMtime(p) {
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of /** @type {string[]} */ (execFileSync('find', [p, '-type', 'f'], { encoding: 'utf8' }).split('\n').filter(Boolean))) {
    newest = Math.max(newest, statSync(entry).mtimeMs);
  }
  return newest;
}

function serverBinary() {
  const bin = path.resolve(frontendDir, process.env.TALLY_BIN ?? '../target/debug/tally');
  if (!existsSync(bin)) {
    fail(`no server binary at ${bin}: build it with \`cargo build -p tally\` in the repository root, or set TALLY_BIN.`);
  }
  return bin;
}

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    fail('chromium is not installed: run `bash scripts/ensure-chromium.sh` (npm run e2e does).');
    return '';
  }
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// --- the server --------------------------------------------------------------------------

/**
 * @param {string} bin
 * @param {number} port
 * @param {string} dataDir
 */
function startServer(bin, port, dataDir, append = false) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    // A clean configuration: none of the caller's server settings or databases.
    if (value === undefined || key.startsWith('TALLY_') || key === 'DATABASE_URL' || key === 'REDIS_URL') continue;
    env[key] = value;
  }
  Object.assign(env, {
    TALLY_LISTEN: `127.0.0.1:${port}`,
    TALLY_DATA_DIR: dataDir,
    TALLY_STATIC_DIR: distDir,
    TALLY_ENV: 'development',
    // Guests solve a proof of work before voting; a low difficulty keeps the test quick.
    TALLY_GUEST_POW_DIFFICULTY: '8',
    // Invitation links are built on this origin.
    TALLY_PUBLIC_ORIGIN: `http://127.0.0.1:${port}`,
    RUST_LOG: process.env.RUST_LOG ?? 'info',
  });
  const log = createWriteStream(serverLogPath, { flags: append ? 'a' : 'w' });
  const child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return child;
}

/**
 * @param {string} base
 * @param {import('node:child_process').ChildProcess} child
 */
async function waitHealthy(base, child) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode} before it was healthy`);
    try {
      const response = await fetch(`${base}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error('the server did not answer GET /healthz within 60 s');
}

/** @param {import('node:child_process').ChildProcess} child */
async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const timeout = sleep(8000).then(() => 'timeout');
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

function serverLogTail(lines = 40) {
  try {
    return readFileSync(serverLogPath, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no server log)';
  }
}

// --- helpers -------------------------------------------------------------------------------

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it returns true, or throws `message` after `timeout` ms.
 * @param {() => Promise<boolean>} check
 * @param {number} timeout
 * @param {string | (() => Promise<string>)} message
 */
async function waitUntil(check, timeout, message) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // the page may be between renders
    }
    if (Date.now() >= deadline) {
      throw new Error(typeof message === 'string' ? message : await message());
    }
    await sleep(50);
  }
}

/**
 * GraphQL over HTTP from the test itself (for the checks a browser cannot make).
 * @param {string} base
 * @param {string} query
 * @param {Record<string, unknown>} variables
 * @param {string} [token]
 * @returns {Promise<GraphQLResponse>}
 */
async function graphql(base, query, variables, token) {
  /** @type {Record<string, string>} */
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return /** @type {GraphQLResponse} */ (await response.json());
}

/**
 * @typedef {{ data?: unknown, errors?: Array<{ message: string, extensions?: { code?: string } }> }} GraphQLResponse
 */

/**
 * The value at `keys` inside `value` (objects and arrays), or undefined.
 * @param {unknown} value
 * @param {Array<string | number>} keys
 * @returns {unknown}
 */
function dig(value, ...keys) {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Reflect.get(current, key);
  }
  return current;
}

/** @param {import('playwright-core').Page} page */
async function sessionToken(page) {
  const raw = await page.evaluate(() => localStorage.getItem('tally.session'));
  const token = raw ? JSON.parse(raw).token : undefined;
  if (typeof token !== 'string') throw new Error('no session token in localStorage after signing up');
  return token;
}

/**
 * @param {import('playwright-core').Page} page
 * @param {number} position
 */
async function votesAt(page, position) {
  const value = await page.getByTestId(`result-${position}`).getAttribute('data-votes', { timeout: 1000 });
  return Number(value);
}

/**
 * @param {import('playwright-core').Page} page
 * @param {number[]} expected votes per option position
 */
async function hasVotes(page, expected) {
  for (const [position, votes] of expected.entries()) {
    if ((await votesAt(page, position)) !== votes) return false;
  }
  return true;
}

/** @param {import('playwright-core').Page} page */
async function describeResults(page) {
  const rows = await page.getByTestId('results').locator('li').allInnerTexts().catch(() => []);
  const live = await page.getByTestId('live-indicator').getAttribute('data-state').catch(() => '?');
  return `results now: [${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}], live indicator: ${live}`;
}

// --- the scenario ------------------------------------------------------------------------

/** @type {Array<{ name: string, ok: boolean, ms: number }>} */
const steps = [];

/**
 * @param {string} name
 * @param {() => Promise<void>} body
 */
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
  } catch (error) {
    steps.push({ name, ok: false, ms: Date.now() - started });
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`step "${name}" failed: ${reason}`);
  }
  const ms = Date.now() - started;
  steps.push({ name, ok: true, ms });
  console.log(`  ✓ ${name} (${ms} ms)`);
}

/**
 * @param {string} base
 * @param {import('playwright-core').Browser} browser
 * @param {{ kill(): Promise<void>, start(): Promise<void> }} server the server process, to kill and start again
 */
async function scenario(base, browser, server) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const alice = { name: `alice_${suffix}`, password: 'correct horse battery' };
  const bob = { name: `bob_${suffix}`, password: 'staple battery horse' };
  const title = `Which colour for the ${suffix} bikeshed?`;

  const ownerContext = await browser.newContext({ baseURL: base, viewport: DESKTOP });
  await ownerContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const voterContext = await browser.newContext({ baseURL: base, ...PHONE });
  const owner = await ownerContext.newPage();
  const voter = await voterContext.newPage();
  /** @type {string[]} */
  const pageErrors = [];
  /** While open, the browser's own complaints about the stopped server are expected. */
  const outage = { open: false };
  /** @type {Set<number>} */
  const documentStatus = new Set();
  /** @type {import('playwright-core').BrowserContext[]} */
  const extraContexts = [];
  /**
   * Collects a page's errors and failed requests into pageErrors.
   * @param {string} who
   * @param {import('playwright-core').Page} page
   */
  const watch = (who, page) => {
    page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
    page.on('console', (message) => {
      // Failed requests are judged below, from their responses.
      const expected = outage.open && /WebSocket connection to|ERR_CONNECTION_REFUSED/.test(message.text());
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource') && !expected) {
        pageErrors.push(`${who} console: ${message.text()}`);
      }
    });
    page.on('response', (response) => {
      if (response.status() < 400) return;
      if (response.request().resourceType() === 'document' && response.status() === 404) {
        documentStatus.add(response.status());
        return; // the index.html fallback's status; warned about once below
      }
      pageErrors.push(`${who}: HTTP ${response.status()} for ${response.request().method()} ${response.url()}`);
    });
  };
  watch('owner', owner);
  watch('voter', voter);
  /** @type {{ byHash: number, withText: number }} */
  const sentOperations = { byHash: 0, withText: 0 };
  owner.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().endsWith('/graphql')) return;
    const body = request.postDataJSON();
    if (body?.extensions?.persistedQuery?.sha256Hash && body.query === undefined) sentOperations.byHash += 1;
    else sentOperations.withText += 1;
  });
  /** @type {Record<string, number>} */
  const navigations = { owner: 0, voter: 0 };
  owner.on('framenavigated', (frame) => frame === owner.mainFrame() && (navigations.owner += 1));
  voter.on('framenavigated', (frame) => frame === voter.mainFrame() && (navigations.voter += 1));

  /** @type {Record<string, import('playwright-core').Page>} */
  const pages = { owner, voter };
  let pollUrl = '';

  try {
    await step('the app is served at / with client-side routes', async () => {
      await owner.goto('/');
      await owner.getByRole('heading', { level: 1 }).waitFor({ timeout: 10_000 });
      const response = await owner.request.get('/polls/new');
      const body = await response.text();
      if (!body.includes('<div id="root">')) throw new Error('/polls/new did not fall back to index.html');
      if (!response.ok()) documentStatus.add(response.status());
    });

    /**
     * @param {import('playwright-core').Page} page
     * @param {{ name: string, password: string }} user
     */
    const signUp = async (page, user) => {
      await page.goto('/signup');
      await page.getByLabel('Username').fill(user.name);
      await page.getByLabel('Password').fill(user.password);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await waitUntil(
        async () => (await page.getByTestId('signed-in-as').innerText()).includes(user.name),
        15_000,
        async () => `the header does not say "Signed in as ${user.name}"; page says: ${(await page.locator('main').innerText()).slice(0, 300)}`,
      );
    };
    await step('two people sign up in their own browsers', async () => {
      await Promise.all([signUp(owner, alice), signUp(voter, bob)]);
    });

    await step('the owner creates a poll', async () => {
      await owner.getByRole('link', { name: 'New poll' }).click();
      await owner.getByLabel('Question').fill(title);
      await owner.getByLabel('Description (optional)').fill('Pick the one you like best.');
      await owner.getByLabel('Option 1', { exact: true }).fill('Red');
      await owner.getByLabel('Option 2', { exact: true }).fill('Blue');
      await owner.getByRole('button', { name: 'Add option' }).click();
      await owner.getByLabel('Option 3', { exact: true }).fill('Green');
      await owner.getByLabel('Let voters change or retract their vote').check();
      // Unlisted by default: the voter reaches it through the shared link below.
      if (!(await owner.getByLabel('Only people with the link').isChecked())) throw new Error('a new poll is not unlisted by default');
      if (!(await owner.getByLabel('People with an account').isChecked())) throw new Error('a new poll is not for accounts by default');
      if (await owner.getByLabel('Anonymous ballots').isChecked()) throw new Error('a new poll is anonymous by default');
      await owner.getByRole('button', { name: 'Create poll' }).click();
      await owner.waitForURL(/\/polls\/[0-9a-f-]{36}$/, { timeout: 10_000 });
      await waitUntil(
        async () => (await owner.getByRole('heading', { level: 1 }).innerText()) === title,
        10_000,
        async () => `poll page heading is "${await owner.getByRole('heading', { level: 1 }).innerText()}", expected "${title}"`,
      );
      const focused = await owner.evaluate(() => document.activeElement?.tagName);
      if (focused !== 'H1') throw new Error(`after creating, focus is on ${focused}, not the page heading`);
      const voters = await owner.getByTestId('poll-voters').innerText();
      if (!voters.includes('account')) throw new Error(`"Who can vote" says "${voters}"`);
      if ((await owner.getByTestId('poll-anonymous').count()) > 0) throw new Error('a poll with named ballots shows the Anonymous badge');
    });

    await step('the owner copies the share link, and a QR code is shown', async () => {
      pollUrl = await owner.getByTestId('share-link').inputValue();
      if (!pollUrl.startsWith(`${base}/polls/`)) throw new Error(`share link "${pollUrl}" is not ${base}/polls/…`);
      await owner.getByRole('button', { name: 'Copy link' }).click();
      await waitUntil(async () => (await owner.getByTestId('copy-status').innerText()).includes('copied'), 3000, 'no "Link copied" confirmation');
      const copied = await owner.evaluate(() => navigator.clipboard.readText()).catch(() => null);
      if (copied !== null && copied !== pollUrl) throw new Error(`clipboard holds "${copied}", expected "${pollUrl}"`);
      const qrPath = await owner.getByTestId('qr-code').locator('path').getAttribute('d');
      if (!qrPath || qrPath.length < 100) throw new Error('the QR code has no modules');
    });

    await shareFirstSteps({ owner, voter, suffix, step, waitUntil });

    await step('the other person opens the shared link', async () => {
      await voter.goto(pollUrl);
      await waitUntil(
        async () => (await voter.getByRole('heading', { level: 1 }).innerText()) === title,
        10_000,
        async () => `voter sees heading "${await voter.getByRole('heading', { level: 1 }).innerText()}"`,
      );
      for (const page of [owner, voter]) {
        await page.evaluate(() => Object.assign(window, { __e2eNoReload: true }));
      }
      navigations.owner = 0;
      navigations.voter = 0;
    });

    await step('both pages receive live results over the WebSocket', async () => {
      for (const [who, page] of Object.entries(pages)) {
        await waitUntil(
          async () => (await page.getByTestId('live-indicator').getAttribute('data-state')) === 'live',
          10_000,
          async () => `${who}'s results never went live (${await describeResults(page)}); does the server have the pollResults subscription at /graphql/ws?`,
        );
      }
    });

    /**
     * @param {import('playwright-core').Page} page
     * @param {string} option
     */
    const vote = async (page, option) => {
      const form = page.getByTestId('vote-form');
      await form.getByLabel(option, { exact: true }).check();
      await form.getByRole('button', { name: 'Vote' }).click();
      await waitUntil(
        async () => (await page.getByTestId('my-vote').innerText()).includes(`You voted for ${option}`),
        10_000,
        async () => `no "You voted for ${option}"; vote message: ${await page.getByTestId('vote-message').innerText().catch(() => 'none')}`,
      );
    };

    await step(`the owner votes; the other sees it live within ${LIVE_DEADLINE_MS} ms`, async () => {
      await vote(owner, 'Red');
      await waitUntil(() => hasVotes(voter, [1, 0, 0]), LIVE_DEADLINE_MS, async () => `voter did not see Red: 1 in time; ${await describeResults(voter)}`);
      await waitUntil(
        async () => (await voter.getByTestId('announcer-polite').innerText()).includes('Results updated'),
        3000,
        'the update was not announced in the polite live region',
      );
    });

    await step(`the other votes; the owner sees it live within ${LIVE_DEADLINE_MS} ms`, async () => {
      await vote(voter, 'Blue');
      await waitUntil(() => hasVotes(owner, [1, 1, 0]), LIVE_DEADLINE_MS, async () => `owner did not see Blue: 1 in time; ${await describeResults(owner)}`);
      for (const [who, page] of Object.entries(pages)) {
        const total = await page.getByTestId('total-votes').innerText();
        if (!total.startsWith('2 votes')) throw new Error(`${who} shows total "${total}"`);
      }
    });

    await step(`the other changes their vote; the owner sees it live within ${LIVE_DEADLINE_MS} ms`, async () => {
      await voter.getByRole('button', { name: 'Change vote' }).click();
      const form = voter.getByTestId('vote-form');
      await form.getByLabel('Green', { exact: true }).check();
      await form.getByRole('button', { name: 'Save my new vote' }).click();
      await waitUntil(async () => (await voter.getByTestId('my-vote').innerText()).includes('You voted for Green'), 10_000, 'no "You voted for Green"');
      await waitUntil(() => hasVotes(owner, [1, 0, 1]), LIVE_DEADLINE_MS, async () => `owner did not see the change in time; ${await describeResults(owner)}`);
    });

    await step('no page was reloaded for any of that', async () => {
      for (const [who, page] of Object.entries(pages)) {
        const marker = await page.evaluate(() => Reflect.get(window, '__e2eNoReload') === true);
        if (!marker || navigations[who] !== 0) throw new Error(`${who}'s page was reloaded or navigated`);
      }
    });

    await step('the owner closes the poll; both see the final result', async () => {
      await owner.getByRole('button', { name: 'Close poll…' }).click();
      await owner.getByRole('button', { name: 'Close poll now' }).click();
      for (const [who, page] of Object.entries(pages)) {
        await waitUntil(
          async () =>
            (await page.getByTestId('poll').getAttribute('data-status')) === 'CLOSED' &&
            (await page.getByRole('heading', { name: 'Final results' }).isVisible()) &&
            (await page.getByTestId('results').getAttribute('data-final')) === 'true',
          5000,
          async () => `${who} does not show the closed poll's final results; ${await describeResults(page)}`,
        );
        if (!(await hasVotes(page, [1, 0, 1]))) throw new Error(`${who}'s final result is wrong; ${await describeResults(page)}`);
      }
    });

    await step('voting is refused once closed', async () => {
      for (const [who, page] of Object.entries(pages)) {
        if (!(await page.getByTestId('voting-closed').isVisible())) throw new Error(`${who} is not told the poll is closed`);
        if ((await page.getByTestId('vote-form').count()) > 0) throw new Error(`${who} still has a ballot form`);
        if ((await page.getByRole('button', { name: /Change vote|Retract vote/ }).count()) > 0) {
          throw new Error(`${who} can still change or retract`);
        }
      }
      const pollId = pollUrl.split('/').pop();
      const charlie = await graphql(base, 'mutation($input: RegisterInput!) { register(input: $input) { token } }', {
        input: { username: `carol_${suffix}`, password: 'another good password' },
      });
      const token = dig(charlie.data, 'register', 'token');
      if (typeof token !== 'string') throw new Error(`could not register a third user: ${JSON.stringify(charlie.errors)}`);
      const poll = await graphql(base, 'query($id: ID!) { poll(id: $id) { options { id } } }', { id: pollId }, token);
      const optionId = dig(poll.data, 'poll', 'options', 0, 'id');
      const refused = await graphql(
        base,
        'mutation($input: CastVoteInput!) { castVote(input: $input) { replayed } }',
        { input: { pollId, optionIds: [optionId], idempotencyKey: `e2e-${suffix}` } },
        token,
      );
      const code = refused.errors?.[0]?.extensions?.code;
      if (code !== 'POLL_NOT_OPEN') throw new Error(`castVote on the closed poll answered ${JSON.stringify(refused)}`);
    });

    await step('the owner downloads the results and the ballots', async () => {
      const panel = owner.getByTestId('exports');
      /** @param {string} label */
      const download = async (label) => {
        const [file] = await Promise.all([owner.waitForEvent('download', { timeout: 10_000 }), panel.getByRole('button', { name: label }).click()]);
        const saved = await file.path();
        return { name: file.suggestedFilename(), text: readFileSync(saved, 'utf8') };
      };
      const results = await download('Results (CSV)');
      if (!results.name.endsWith('.csv') || !/Red/.test(results.text) || !/Green/.test(results.text)) {
        throw new Error(`results CSV ${results.name}: ${results.text.slice(0, 200)}`);
      }
      const ballots = await download('Ballots (JSON)');
      /** @type {Array<{ voter?: string, choices: string[], final: boolean }>} */
      const rows = JSON.parse(ballots.text);
      const voters = rows.map((r) => r.voter).sort();
      if (rows.length !== 2 || voters.join() !== [alice.name, bob.name].sort().join() || !rows.every((r) => r.final)) {
        throw new Error(`ballots JSON ${ballots.name}: ${ballots.text.slice(0, 300)}`);
      }
      if ((await owner.getByTestId('export-error').count()) > 0) throw new Error(`export error: ${await owner.getByTestId('export-error').innerText()}`);
    });

    await step('a screenshot of the results page is saved', async () => {
      await owner.getByTestId('results-panel').scrollIntoViewIfNeeded();
      await owner.screenshot({ path: path.join(resultsDir, 'results.png'), fullPage: true });
      await voter.screenshot({ path: path.join(resultsDir, 'results-phone.png'), fullPage: true });
    });

    await step('"My polls" lists created and voted polls a page at a time', async () => {
      const token = await sessionToken(owner);
      for (let i = 1; i <= 11; i += 1) {
        const created = await graphql(
          base,
          'mutation($input: CreatePollInput!) { createPoll(input: $input) { id } }',
          { input: { title: `Extra poll ${i} ${suffix}`, options: ['Yes', 'No'] } },
          token,
        );
        if (!dig(created.data, 'createPoll', 'id')) throw new Error(`createPoll failed: ${JSON.stringify(created.errors)}`);
      }
      await owner.getByRole('link', { name: 'My polls' }).click();
      const createdList = owner.getByTestId('created-polls');
      await waitUntil(async () => (await createdList.locator('li').count()) === 10, 5000, 'the first page of created polls does not show 10 polls');
      await createdList.getByRole('button', { name: 'Load more' }).click();
      await waitUntil(async () => (await createdList.locator('li').count()) === 12, 5000, async () => `after "Load more" there are ${await createdList.locator('li').count()} polls, expected 12`);
      if ((await createdList.getByRole('button', { name: 'Load more' }).count()) > 0) throw new Error('"Load more" is still offered after the last page');
      const focused = await owner.evaluate(() => document.activeElement?.textContent ?? '');
      if (!focused.startsWith('Extra poll 1 ') && !focused.startsWith(title)) throw new Error(`focus after "Load more" is on "${focused}"`);

      await voter.getByRole('link', { name: 'My polls' }).click();
      await waitUntil(async () => (await voter.getByTestId('voted-polls').innerText()).includes(title), 5000, 'the voted poll is not under "Polls I voted in"');
    });

    await step('the home page lists listed polls only', async () => {
      const token = await sessionToken(owner);
      const listedTitle = `Listed poll ${suffix}`;
      const created = await graphql(
        base,
        'mutation($input: CreatePollInput!) { createPoll(input: $input) { id } }',
        { input: { title: listedTitle, options: ['Yes', 'No'], listing: 'LISTED' } },
        token,
      );
      if (!dig(created.data, 'createPoll', 'id')) throw new Error(`createPoll failed: ${JSON.stringify(created.errors)}`);
      await voter.goto('/');
      const open = voter.locator('section[aria-labelledby="open-polls"]');
      await waitUntil(async () => (await open.innerText()).includes(listedTitle), 5000, 'the listed poll is not under "Open polls"');
      const text = await open.innerText();
      if (text.includes(title) || text.includes('Extra poll')) throw new Error(`an unlisted poll is on the home page: ${text.slice(0, 300)}`);
    });

    await step('an anonymous poll open to guests says so on its page', async () => {
      const anonymousTitle = `Anonymous poll ${suffix}`;
      await owner.getByRole('link', { name: 'New poll' }).click();
      await owner.getByLabel('Question').fill(anonymousTitle);
      await owner.getByLabel('Option 1', { exact: true }).fill('Yes');
      await owner.getByLabel('Option 2', { exact: true }).fill('No');
      await owner.getByLabel('Anyone with the link, no account needed').check();
      const anonymous = owner.getByLabel('Anonymous ballots');
      await anonymous.check();
      const help = await anonymous.evaluate((input) => document.getElementById(input.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
      if (!help.includes('Nobody, not even you')) throw new Error(`the anonymous checkbox is described as "${help}"`);
      await owner.getByRole('button', { name: 'Create poll' }).click();
      await owner.waitForURL(/\/polls\/[0-9a-f-]{36}$/, { timeout: 10_000 });
      const badge = owner.getByTestId('poll-anonymous');
      await badge.waitFor({ timeout: 10_000 });
      const spoken = await badge.innerText();
      const tooltip = await badge.getAttribute('title');
      if (!spoken.startsWith('Anonymous') || !tooltip?.includes('nobody')) throw new Error(`the badge reads "${spoken}", tooltip "${tooltip}"`);
      const voters = await owner.getByTestId('poll-voters').innerText();
      if (!voters.includes('no account needed')) throw new Error(`"Who can vote" says "${voters}"`);
    });

    // --- guests: the anonymous GUESTS poll the owner's page now shows -----------------------
    const guestPollUrl = owner.url();
    const visitorContext = await browser.newContext({ baseURL: base, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    extraContexts.push(visitorContext);
    const visitor = await visitorContext.newPage();
    watch('visitor', visitor);
    pages.visitor = visitor;

    await step(`a visitor with no account votes as a guest on the shared link; the owner sees it live within ${LIVE_DEADLINE_MS} ms`, async () => {
      await waitUntil(
        async () => (await owner.getByTestId('live-indicator').getAttribute('data-state')) === 'live',
        10_000,
        async () => `the owner's guest poll never went live (${await describeResults(owner)})`,
      );
      await visitor.goto(guestPollUrl);
      const form = visitor.getByTestId('vote-form');
      await form.waitFor({ timeout: 10_000 });
      const button = form.getByRole('button', { name: 'Vote as guest' });
      if ((await button.count()) !== 1) throw new Error('a visitor with no session is not offered "Vote as guest"');
      await form.getByLabel('Yes', { exact: true }).check();
      await button.click();
      await waitUntil(
        async () => (await visitor.getByTestId('my-vote').innerText()).includes('You voted for Yes'),
        20_000,
        async () => `no "You voted for Yes" for the guest; vote message: ${await visitor.getByTestId('vote-message').innerText().catch(() => 'none')}`,
      );
      await waitUntil(() => hasVotes(owner, [1, 0]), LIVE_DEADLINE_MS, async () => `owner did not see the guest's vote in time; ${await describeResults(owner)}`);
      const stored = await visitor.evaluate(() => JSON.parse(localStorage.getItem('tally.session') ?? 'null'));
      if (stored?.guest !== true || typeof stored.token !== 'string') throw new Error(`the visitor's session is not stored as a guest's: ${JSON.stringify(stored)}`);
      const header = await visitor.getByTestId('signed-in-as').innerText();
      if (!header.includes('guest')) throw new Error(`the header says "${header}" for a guest`);
    });

    await step('the guest signs up and their guest vote moves to the new account', async () => {
      const dana = { name: `dana_${suffix}`, password: 'guest turned member' };
      await visitor.getByRole('link', { name: 'Sign up to keep your votes' }).click();
      await visitor.getByLabel('Username').fill(dana.name);
      await visitor.getByLabel('Password').fill(dana.password);
      await visitor.getByRole('button', { name: 'Sign up' }).click();
      await waitUntil(
        async () => (await visitor.getByTestId('claim-notice').innerText()).includes('now belongs to your account'),
        15_000,
        async () => `no claim notice after signing up; page says: ${(await visitor.locator('main').innerText()).slice(0, 300)}`,
      );
      await visitor.goto(guestPollUrl);
      await waitUntil(async () => (await visitor.getByTestId('my-vote').innerText()).includes('You voted for Yes'), 10_000, 'the account does not hold the claimed vote');
      if (!(await hasVotes(visitor, [1, 0]))) throw new Error(`the claimed vote was counted twice or lost; ${await describeResults(visitor)}`);
    });

    // --- invitations -------------------------------------------------------------------------
    let invitedPollUrl = '';
    /** @type {Record<string, string>} */
    const links = {};
    await step('the owner creates an invitation-only poll and two named invitations', async () => {
      await owner.getByRole('link', { name: 'New poll' }).click();
      await owner.getByLabel('Question').fill(`Invited poll ${suffix}`);
      await owner.getByLabel('Option 1', { exact: true }).fill('Yes');
      await owner.getByLabel('Option 2', { exact: true }).fill('No');
      await owner.getByLabel('Only people I invite').check();
      await owner.getByRole('button', { name: 'Create poll' }).click();
      await owner.waitForURL(/\/polls\/[0-9a-f-]{36}$/, { timeout: 10_000 });
      invitedPollUrl = owner.url();
      const panel = owner.getByTestId('invitations');
      await panel.waitFor({ timeout: 10_000 });
      await panel.getByLabel('One for each name').check();
      await panel.getByLabel('Names').fill('Bob\nCleo');
      await panel.getByRole('button', { name: 'Create invitations' }).click();
      await waitUntil(async () => (await panel.getByTestId('invitation-link').count()) === 2, 10_000, async () => `the list shows ${await panel.getByTestId('invitation-link').count()} invitations, expected 2`);
      for (const name of ['Bob', 'Cleo']) {
        const row = panel.getByTestId('invitation-list').locator('tr', { hasText: name });
        links[name] = await row.getByTestId('invitation-link').inputValue();
        if (!links[name].startsWith(`${base}/i/`)) throw new Error(`${name}'s link "${links[name]}" is not ${base}/i/…`);
      }
      if ((await panel.getByTestId('invitations-issued').innerText()) !== '2') throw new Error('the issued count is not 2');
    });

    await step('an invited user opens the link, accepts and votes', async () => {
      await voter.goto(links.Bob);
      await voter.getByRole('button', { name: 'Accept and vote' }).click();
      await voter.waitForURL(invitedPollUrl, { timeout: 10_000 });
      await voter.getByTestId('invited-notice').waitFor({ timeout: 10_000 });
      await vote(voter, 'No');
    });

    await step('a visitor with no account accepts an invitation as a guest and votes', async () => {
      const guestContext = await browser.newContext({ baseURL: base });
      extraContexts.push(guestContext);
      const cleo = await guestContext.newPage();
      watch('invited guest', cleo);
      await cleo.goto(links.Cleo);
      await cleo.getByRole('button', { name: 'Accept and vote as guest' }).click();
      await cleo.waitForURL(invitedPollUrl, { timeout: 20_000 });
      await vote(cleo, 'Yes');
      // Someone else with Bob's link (already used) is told so in plain words.
      const otherContext = await browser.newContext({ baseURL: base });
      extraContexts.push(otherContext);
      const other = await otherContext.newPage();
      watch('someone else', other);
      await other.goto(links.Bob);
      await other.getByRole('button', { name: 'Accept and vote as guest' }).click();
      await waitUntil(
        async () => (await other.getByTestId('invite-error').innerText()).includes('Someone else already used this invitation'),
        10_000,
        async () => `no plain-words refusal for someone else's invitation; page says: ${(await other.locator('main').innerText()).slice(0, 300)}`,
      );
    });

    await step('the owner sees who accepted and voted, in counts only', async () => {
      await owner.reload();
      const panel = owner.getByTestId('invitations');
      await waitUntil(
        async () => (await panel.getByTestId('invitations-redeemed').innerText()) === '2' && (await panel.getByTestId('invitations-voted').innerText()) === '2',
        10_000,
        async () => `counts read ${(await panel.getByTestId('invitation-counts').innerText()).replace(/\s+/g, ' ')}`,
      );
      if (!(await hasVotes(owner, [1, 1]))) throw new Error(`the invited poll's results are wrong; ${await describeResults(owner)}`);
    });

    // --- ranked choice and score voting ------------------------------------------------------
    /** @param {import('playwright-core').Page} page */
    const runoffState = async (page) => {
      const runoff = page.getByTestId('runoff');
      const rounds = Number(await runoff.getAttribute('data-rounds', { timeout: 1000 }));
      const label = rounds > 0 ? await page.getByTestId('runoff-round-label').innerText({ timeout: 1000 }) : '';
      const outcome = await page.getByTestId('runoff-outcome').innerText({ timeout: 1000 });
      return { rounds, label, outcome };
    };
    /** @param {import('playwright-core').Page} page */
    const describeRunoff = async (page) => JSON.stringify(await runoffState(page).catch((e) => String(e)));
    /**
     * Ranks `order` on `page` with the buttons and keys only, then votes.
     * @param {import('playwright-core').Page} page
     * @param {(form: import('playwright-core').Locator) => Promise<void>} rank
     */
    const castRanking = async (page, rank) => {
      const form = page.getByTestId('vote-form');
      await form.waitFor({ timeout: 10_000 });
      await rank(form);
      await form.getByRole('button', { name: 'Vote' }).click();
      await waitUntil(
        async () => (await page.getByTestId('my-vote').innerText()).includes('Your ranking'),
        10_000,
        async () => `no "Your ranking" after voting; vote message: ${await page.getByTestId('vote-message').innerText().catch(() => 'none')}`,
      );
    };
    /** @param {import('playwright-core').Page} page */
    const focusedLabel = (page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
    /**
     * @param {import('playwright-core').Page} page
     * @param {string} text
     */
    const announced = (page, text) =>
      waitUntil(async () => (await page.getByTestId('announcer-polite').innerText()).includes(text), 3000, async () => `not announced: "${text}" (live region: "${await page.getByTestId('announcer-polite').innerText()}")`);

    let rankedUrl = '';
    await step('the owner creates a RANKED poll and watches its results live', async () => {
      await owner.getByRole('link', { name: 'New poll' }).click();
      await owner.getByLabel('Question').fill(`Lunch ${suffix}?`);
      await owner.getByLabel('Option 1', { exact: true }).fill('Pizza');
      await owner.getByLabel('Option 2', { exact: true }).fill('Tacos');
      await owner.getByRole('button', { name: 'Add option' }).click();
      await owner.getByLabel('Option 3', { exact: true }).fill('Sushi');
      await owner.getByLabel('Ranked in order of preference (instant runoff)').check();
      await owner.getByLabel('Let voters change or retract their vote').check();
      await owner.getByRole('button', { name: 'Create poll' }).click();
      await owner.waitForURL(/\/polls\/[0-9a-f-]{36}$/, { timeout: 10_000 });
      rankedUrl = owner.url();
      await waitUntil(
        async () => (await owner.getByTestId('live-indicator').getAttribute('data-state')) === 'live',
        10_000,
        async () => `the owner's ranked poll never went live (${await describeResults(owner)})`,
      );
      const before = await runoffState(owner);
      if (before.rounds !== 0 || !before.outcome.startsWith('No ballots yet')) throw new Error(`an empty ranked poll shows ${JSON.stringify(before)}`);
      await owner.evaluate(() => Object.assign(window, { __e2eRankedNoReload: true }));
      navigations.owner = 0;
    });

    await step(`a voter ranks with the buttons (moves announced, focus kept); the owner sees round 1 live within ${LIVE_DEADLINE_MS} ms`, async () => {
      await voter.goto(rankedUrl);
      await castRanking(voter, async (form) => {
        await form.getByRole('button', { name: 'Add Tacos to the ranking' }).press('Enter');
        await announced(voter, 'Tacos ranked 1 of 1.');
        await form.getByRole('button', { name: 'Add Sushi to the ranking' }).press('Enter');
        await form.getByRole('button', { name: 'Move Sushi up' }).press('Enter');
        await announced(voter, 'Sushi moved to position 1 of 2.');
        const focus = await focusedLabel(voter);
        // Up is disabled at the top, so focus stays on the moved option's handle.
        if (!focus.startsWith('Sushi, 1st choice')) throw new Error(`after moving Sushi up, focus is on "${focus}"`);
        const order = await form.getByTestId('ranked-item').evaluateAll((items) => items.map((i) => i.getAttribute('data-option')));
        if (order.join('>') !== 'Sushi>Tacos') throw new Error(`the ranking reads ${order.join('>')}`);
      });
      await waitUntil(
        async () => {
          const s = await runoffState(owner);
          return s.rounds === 1 && s.outcome.startsWith('Sushi is winning in round 1');
        },
        LIVE_DEADLINE_MS,
        async () => `the owner did not see round 1 live; runoff: ${await describeRunoff(owner)}`,
      );
    });

    const rankerContext = await browser.newContext({ baseURL: base, viewport: { width: 1024, height: 800 } });
    extraContexts.push(rankerContext);
    const ranker = await rankerContext.newPage();
    watch('second ranker', ranker);
    pages.ranker = ranker;
    await step(`a second voter ranks with the arrow keys; the owner sees a second round appear live, without a reload`, async () => {
      await signUp(ranker, { name: `erin_${suffix}`, password: 'ranked choice voter' });
      await ranker.goto(rankedUrl);
      await castRanking(ranker, async (form) => {
        await form.getByRole('button', { name: 'Add Tacos to the ranking' }).click();
        await form.getByRole('button', { name: 'Add Pizza to the ranking' }).click();
        // On the handle, ArrowUp moves the option and focus stays with it.
        await form.getByRole('button', { name: /^Pizza, 2nd choice/ }).focus();
        await ranker.keyboard.press('ArrowUp');
        await announced(ranker, 'Pizza moved to position 1 of 2.');
        const focus = await focusedLabel(ranker);
        if (!focus.startsWith('Pizza, 1st choice')) throw new Error(`after ArrowUp, focus is on "${focus}"`);
      });
      // Sushi>Tacos and Pizza>Tacos: round 1 is Sushi 1, Pizza 1, Tacos 0 (eliminated);
      // round 2 is Sushi 1, Pizza 1: a tie.
      await waitUntil(
        async () => {
          const s = await runoffState(owner);
          return s.rounds === 2 && s.label === 'Round 2 of 2' && /^Tied for now between (Pizza and Sushi|Sushi and Pizza) in round 2/.test(s.outcome);
        },
        LIVE_DEADLINE_MS + 2000, // the view steps through the new round (700 ms a round)
        async () => `the owner did not see round 2 live; runoff: ${await describeRunoff(owner)}`,
      );
      const tacos = owner.getByTestId('runoff-1');
      if ((await tacos.getAttribute('data-state')) !== 'out') throw new Error(`Tacos in round 2 is "${await tacos.getAttribute('data-state')}", not out`);
      await owner.getByRole('button', { name: 'Show round 1' }).click();
      if ((await owner.getByTestId('runoff-1').getAttribute('data-state')) !== 'eliminated') throw new Error('round 1 does not mark Tacos eliminated');
      await owner.getByRole('button', { name: 'Follow the latest round' }).click();
      const marker = await owner.evaluate(() => Reflect.get(window, '__e2eRankedNoReload') === true);
      if (!marker || navigations.owner !== 0) throw new Error("the owner's page was reloaded or navigated");
    });

    await step('the first voter changes their ranking; the owner sees the winner live', async () => {
      await voter.getByRole('button', { name: 'Change vote' }).click();
      const form = voter.getByTestId('vote-form');
      // The ballot starts from the ranking cast: Sushi, Tacos. Pizza goes to the top.
      await form.getByRole('button', { name: 'Add Pizza to the ranking' }).press('Enter');
      await form.getByRole('button', { name: /^Pizza, 3rd choice/ }).press('Home');
      await announced(voter, 'Pizza moved to position 1 of 3.');
      await form.getByRole('button', { name: 'Save my new vote' }).click();
      await waitUntil(async () => (await voter.getByTestId('my-vote').innerText()).includes('Your ranking'), 10_000, 'no "Your ranking" after changing');
      await waitUntil(
        async () => (await runoffState(owner)).outcome.startsWith('Pizza is winning in round 1 with 2 of 2'),
        LIVE_DEADLINE_MS,
        async () => `the owner did not see Pizza win; runoff: ${await describeRunoff(owner)}`,
      );
    });

    await step('a voter scores a SCORE poll; the owner sees the average live; the ranked ballots download as BLT', async () => {
      await owner.getByRole('link', { name: 'New poll' }).click();
      await owner.getByLabel('Question').fill(`Rate the venues ${suffix}`);
      await owner.getByLabel('Option 1', { exact: true }).fill('Hall');
      await owner.getByLabel('Option 2', { exact: true }).fill('Park');
      await owner.getByLabel('A score for each option').check();
      await owner.getByLabel('Highest score').fill('10');
      await owner.getByRole('button', { name: 'Create poll' }).click();
      await owner.waitForURL(/\/polls\/[0-9a-f-]{36}$/, { timeout: 10_000 });
      const scoreUrl = owner.url();
      await waitUntil(async () => (await owner.getByTestId('live-indicator').getAttribute('data-state')) === 'live', 10_000, 'the score poll never went live');
      await voter.goto(scoreUrl);
      const form = voter.getByTestId('vote-form');
      await form.waitFor({ timeout: 10_000 });
      await form.getByRole('group', { name: 'Hall' }).getByLabel('7', { exact: true }).check();
      // Every option must be scored by default: sending one score is refused in the page.
      await form.getByRole('button', { name: 'Vote' }).click();
      await waitUntil(async () => (await form.getByRole('alert').innerText()).includes('Give every option a score'), 3000, 'no "Give every option a score"');
      await form.getByRole('group', { name: 'Park' }).getByLabel('10', { exact: true }).check();
      await form.getByRole('button', { name: 'Vote' }).click();
      await waitUntil(async () => (await voter.getByTestId('my-vote').innerText()).includes('Your scores'), 10_000, 'no "Your scores"');
      await waitUntil(
        async () =>
          (await owner.getByTestId('score-0').getAttribute('data-average')) === '7' &&
          (await owner.getByTestId('score-1').getAttribute('data-average')) === '10' &&
          (await owner.getByTestId('score-outcome').innerText()).startsWith('Park is ahead with an average of 10.0 from 1 ballot'),
        LIVE_DEADLINE_MS,
        async () => `the owner did not see the scores; ${(await owner.getByTestId('score-results').innerText().catch(() => '?')).replace(/\s+/g, ' ')}`,
      );
      await owner.screenshot({ path: path.join(resultsDir, 'score-results.png'), fullPage: true });
      await owner.goto(rankedUrl);
      await owner.getByTestId('runoff').waitFor({ timeout: 10_000 });
      await owner.screenshot({ path: path.join(resultsDir, 'ranked-results.png'), fullPage: true });
      const [file] = await Promise.all([
        owner.waitForEvent('download', { timeout: 10_000 }),
        owner.getByTestId('exports').getByRole('button', { name: 'Ballots (BLT)' }).click(),
      ]);
      const blt = readFileSync(await file.path(), 'utf8');
      // Three candidates, one seat; two ballots; the names in quotes.
      if (!blt.startsWith('3 1') || !blt.includes('"Pizza"') || !blt.includes(`"Lunch ${suffix}?"`)) throw new Error(`the BLT file reads: ${blt.slice(0, 200)}`);
      await voter.goto(rankedUrl);
      await voter.getByRole('button', { name: 'Change vote' }).click();
      await voter.screenshot({ path: path.join(resultsDir, 'ranking-ballot-phone.png'), fullPage: true });
    });

    /**
     * A fresh browser at one of the two sizes, watched for errors, closed at the end.
     * @param {'desktop' | 'phone'} size
     * @param {string} who
     * @param {{ colorScheme?: 'dark' | 'light', reducedMotion?: 'reduce' | 'no-preference' }} [options]
     */
    const newPage = async (size, who, options = {}) => {
      const context = await browser.newContext({ baseURL: base, ...(size === 'phone' ? PHONE : { viewport: DESKTOP }), ...options });
      extraContexts.push(context);
      const page = await context.newPage();
      watch(who, page);
      pages[who] = page;
      return page;
    };

    await finishSteps({
      base,
      browser,
      owner,
      voter,
      suffix,
      pollUrl,
      step,
      waitUntil,
      api: (query, variables, token) => graphql(base, query, variables, token),
      tokenOf: sessionToken,
      newPage,
    });

    await looksSteps({ owner, pollUrl, step, waitUntil, newPage });

    const reach = {
      owner, pollUrl, step, waitUntil, newPage,
      api: (/** @type {string} */ query, /** @type {Record<string, unknown>} */ variables, /** @type {string | undefined} */ token) => graphql(base, query, variables, token),
      tokenOf: sessionToken,
    };
    await reachSteps(reach);
    await embedSteps(reach);
    await joinSteps(reach);

    await outageSteps({
      owner,
      voter,
      suffix,
      step,
      waitUntil,
      api: (query, variables, token) => graphql(base, query, variables, token),
      tokenOf: sessionToken,
      server,
      outage,
    });

    await step('the app sends its operations as persisted documents, by hash', async () => {
      // The first time the server meets a hash it asks for the text once; every
      // operation after that goes by hash alone.
      if (sentOperations.byHash === 0 || sentOperations.byHash <= sentOperations.withText) {
        throw new Error(`sent by hash ${sentOperations.byHash} times, with text ${sentOperations.withText} times`);
      }
    });

    await step('GraphiQL loads from the server alone and reads the schema', async () => {
      const context = await browser.newContext({ baseURL: base });
      const page = await context.newPage();
      /** @type {string[]} */
      const elsewhere = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(base)) elsewhere.push(request.url());
      });
      const introspected = page.waitForResponse(
        (response) => response.url().endsWith('/graphql') && response.request().method() === 'POST' && response.status() === 200,
        { timeout: 15_000 },
      );
      await page.goto('/graphiql');
      await page.locator('.graphiql-container').waitFor({ timeout: 15_000 });
      const body = await (await introspected).json();
      if (!dig(body.data, '__schema')) throw new Error(`GraphiQL's schema request got ${JSON.stringify(body).slice(0, 200)}`);
      await context.close();
      if (elsewhere.length) throw new Error(`GraphiQL fetched from elsewhere: ${elsewhere.join(', ')}`);
    });

    if (pageErrors.length) throw new Error(`the pages logged errors:\n    ${pageErrors.join('\n    ')}`);
    if (documentStatus.size) {
      console.warn(`e2e: warning: client-side routes were served with HTTP ${[...documentStatus].join(', ')} (index.html fallback); browsers render them, but the status should be 200`);
    }
  } catch (error) {
    for (const [who, page] of Object.entries(pages)) {
      await page.screenshot({ path: path.join(resultsDir, `failure-${who}.png`), fullPage: true }).catch(() => {});
    }
    if (pageErrors.length) console.error(`e2e: errors in the pages:\n  ${pageErrors.join('\n  ')}`);
    throw error;
  } finally {
    await ownerContext.close();
    await voterContext.close();
    for (const context of extraContexts) await context.close();
  }
}

async function main() {
  checkDist();
  const bin = serverBinary();
  const executablePath = chromiumPath();
  mkdirSync(resultsDir, { recursive: true });
  mkdirSync(screenshotsDir, { recursive: true });
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tally-e2e-'));
  const base = `http://127.0.0.1:${port}`;
  console.log(`e2e: server ${path.relative(frontendDir, bin)} on ${base}, data in ${dataDir}`);
  let server = startServer(bin, port, dataDir);
  /** Kill -9 and start again on the same port with the same data (the outage steps). */
  const control = {
    kill: async () => {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;
    },
    start: async () => {
      server = startServer(bin, port, dataDir, true);
      await waitHealthy(base, server);
    },
  };
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  let failure = null;
  try {
    await waitHealthy(base, server);
    browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    await scenario(base, browser, control);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  } finally {
    await browser?.close().catch(() => {});
    await stopServer(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const passed = steps.filter((s) => s.ok).length;
  if (failure) {
    console.error(`\ne2e: FAILED: ${failure}`);
    console.error(`e2e: screenshots in ${path.relative(process.cwd(), resultsDir) || '.'}/failure-*.png; server log tail:\n${serverLogTail()}`);
    console.error(`e2e: ${passed} passed, 1 failed`);
    process.exit(1);
  }
  console.log(`e2e: screenshot saved to ${path.relative(process.cwd(), path.join(resultsDir, 'results.png'))}`);
  console.log(`e2e: ${captured.length} page states saved to ${path.relative(process.cwd(), screenshotsDir)}/ and checked with axe: 0 serious or critical violations`);
  console.log(`e2e: ${passed} passed, 0 failed`);
}

await main();
