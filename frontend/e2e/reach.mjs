// Issue 16 items 5 and 8: the poll page is fast on a phone (its JavaScript within a gzip
// budget, first paint within 1.5 s on a throttled slow-4G phone), and the owner sees the
// poll's activity over time.
import { existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { capture } from './capture.mjs';

const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Most JavaScript (gzipped) the poll page may load for a voter. */
export const POLL_PAGE_JS_BUDGET = 80 * 1024;
/** Latest first-contentful-paint of the poll page on the throttled phone. */
export const FIRST_PAINT_BUDGET_MS = 1500;
/** The throttled phone: slow 4G (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up), CPU 4x slower. */
export const SLOW_PHONE = {
  latency: 150,
  downloadThroughput: (1.6 * 1024 * 1024) / 8,
  uploadThroughput: (750 * 1024) / 8,
  cpuSlowdown: 4,
};

/**
 * @typedef {import('playwright-core').Page} Page
 * @typedef {{
 *   owner: Page,
 *   pollUrl: string,
 *   step: (name: string, body: () => Promise<void>) => Promise<void>,
 *   waitUntil: (check: () => Promise<boolean>, timeout: number, message: string | (() => Promise<string>)) => Promise<void>,
 *   newPage: (size: 'desktop' | 'phone', who: string, options?: object) => Promise<Page>,
 *   api: (query: string, variables: Record<string, unknown>, token?: string) => Promise<any>,
 *   tokenOf: (page: Page) => Promise<string>,
 * }} Ctx
 */

/**
 * The gzip size of a built file, from the `.gz` the build wrote beside it.
 * @param {string} url
 */
function gzipSize(url) {
  const file = path.join(distDir, new URL(url).pathname);
  if (!existsSync(`${file}.gz`)) throw new Error(`no ${file}.gz: the build did not precompress it`);
  return statSync(`${file}.gz`).size;
}

/**
 * Opens `url` in `page` and returns every script it loaded (until the network is quiet).
 * @param {Page} page
 * @param {string} url
 */
async function scriptsLoaded(page, url) {
  /** @type {string[]} */
  const scripts = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'script') scripts.push(response.url());
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.getByTestId('poll').waitFor();
  return scripts;
}

/** @param {Ctx} ctx */
export async function reachSteps(ctx) {
  const { owner, pollUrl, step, waitUntil, newPage } = ctx;

  await step('the poll page loads at most 80 kB of JavaScript (gzipped) for a voter', async () => {
    const page = await newPage('phone', 'budget-voter');
    const scripts = await scriptsLoaded(page, pollUrl);
    const sizes = scripts.map((url) => ({ file: new URL(url).pathname, gzip: gzipSize(url) }));
    const total = sizes.reduce((n, s) => n + s.gzip, 0);
    console.log(`    poll page JavaScript: ${(total / 1024).toFixed(1)} kB gzipped in ${sizes.length} files (${sizes.map((s) => `${path.basename(s.file)} ${(s.gzip / 1024).toFixed(1)}`).join(', ')})`);
    for (const unwanted of ['QrCode', 'NewPollPage', 'ActivityPanel']) {
      if (sizes.some((s) => s.file.includes(unwanted))) throw new Error(`a voter's poll page loaded ${unwanted}`);
    }
    if (total > POLL_PAGE_JS_BUDGET) {
      throw new Error(`${(total / 1024).toFixed(1)} kB is over the ${POLL_PAGE_JS_BUDGET / 1024} kB budget`);
    }
  });

  await step('on a throttled slow-4G phone the poll page paints within 1.5 s', async () => {
    const page = await newPage('phone', 'slow-phone');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: SLOW_PHONE.latency,
      downloadThroughput: SLOW_PHONE.downloadThroughput,
      uploadThroughput: SLOW_PHONE.uploadThroughput,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: SLOW_PHONE.cpuSlowdown });
    await page.goto(pollUrl, { waitUntil: 'load' });
    await waitUntil(
      async () => page.evaluate(() => performance.getEntriesByName('first-contentful-paint').length > 0),
      15_000,
      'no first-contentful-paint entry',
    );
    const fcp = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
    await page.getByTestId('poll').waitFor({ timeout: 15_000 });
    const loaded = await page.evaluate(() => {
      const nav = /** @type {PerformanceNavigationTiming | undefined} */ (performance.getEntriesByType('navigation')[0]);
      return nav ? Math.round(nav.loadEventEnd) : -1;
    });
    console.log(`    throttled phone (150 ms RTT, 1.6 Mbit/s, CPU 4x): first-contentful-paint ${Math.round(fcp)} ms, load ${loaded} ms`);
    await capture(page, 'poll-slow-phone', { fullPage: false });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    if (fcp > FIRST_PAINT_BUDGET_MS) throw new Error(`first paint at ${Math.round(fcp)} ms, over ${FIRST_PAINT_BUDGET_MS} ms`);
  });

  await step("the owner sees the poll's votes per minute as a chart, with a summary in words", async () => {
    await owner.goto(pollUrl);
    const chart = owner.getByTestId('activity-chart');
    await chart.waitFor({ timeout: 10_000 });
    await waitUntil(
      async () => /\d+ votes? cast/.test((await owner.getByTestId('activity-summary').textContent()) ?? ''),
      10_000,
      async () => `summary: ${await owner.getByTestId('activity-summary').textContent()}`,
    );
    const bars = await chart.locator('rect').count();
    if (bars === 0) throw new Error('the chart has no bars');
    await owner.getByTestId('activity').scrollIntoViewIfNeeded();
    await capture(owner, 'owner-activity', { fullPage: false });
    // At phone width the chart still fits the screen.
    const wide = owner.viewportSize();
    await owner.setViewportSize({ width: 390, height: 844 });
    try {
      await owner.getByTestId('activity').scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      if (!box || box.width > 390) throw new Error(`the chart overflows a phone: ${JSON.stringify(box)}`);
      await capture(owner, 'owner-activity-phone', { fullPage: false });
    } finally {
      if (wide) await owner.setViewportSize(wide);
    }
  });
}

/**
 * Serves one HTML page on a port of its own (another origin than the app's).
 * @param {string} html
 * @returns {Promise<{ url: string, close(): void }>}
 */
function hostPage(html) {
  return new Promise((resolve) => {
    const server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(html);
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      // "localhost" is another site than the app's 127.0.0.1.
      resolve({ url: `http://localhost:${port}/`, close: () => server.close() });
    });
  });
}

/** @param {Ctx} ctx */
export async function embedSteps(ctx) {
  const { owner, step, waitUntil, newPage, api, tokenOf } = ctx;

  await step('a poll embedded on another site votes (as a guest), shows the results live and sizes its frame', async () => {
    const token = await tokenOf(owner);
    const created = await api(
      'mutation($input: CreatePollInput!) { createPoll(input: $input) { id options { id } } }',
      { input: { title: 'Tea or coffee? <embedded>', options: ['Tea', 'Coffee'], voters: 'GUESTS' } },
      token,
    );
    const poll = created.data?.createPoll;
    if (!poll) throw new Error(`createPoll failed: ${JSON.stringify(created.errors)}`);
    await owner.goto(`/polls/${poll.id}`);
    await owner.getByTestId('embed-snippet').locator('summary').click();
    const snippet = await owner.getByTestId('embed-code').inputValue();
    if (!snippet.includes(`/embed/polls/${poll.id}`)) throw new Error(`the snippet does not frame the widget: ${snippet}`);
    await capture(owner, 'embed-snippet', { fullPage: false });

    const host = await hostPage(`<!doctype html><html lang="en"><head><title>A blog</title></head><body><h1>My blog</h1>${snippet}</body></html>`);
    try {
      const page = await newPage('desktop', 'embed-host');
      await page.goto(host.url);
      const frame = page.frameLocator('iframe');
      const form = frame.getByTestId('vote-form');
      await form.waitFor({ timeout: 15_000 });
      await form.getByLabel('Tea', { exact: true }).check();
      await form.getByRole('button', { name: 'Vote as guest' }).click();
      await waitUntil(
        async () => (await frame.getByTestId('my-vote').innerText().catch(() => '')).includes('You voted for Tea'),
        20_000,
        'the embedded widget never said "You voted for Tea"',
      );
      // Someone else votes elsewhere; the widget shows it live.
      const other = await api(
        'mutation($input: RegisterInput!) { register(input: $input) { token } }',
        { input: { username: `embedfan${Date.now() % 100000}`, password: 'a long enough password' } },
      );
      const otherToken = other.data?.register?.token;
      if (!otherToken) throw new Error(`register failed: ${JSON.stringify(other.errors)}`);
      const cast = await api(
        'mutation($input: CastVoteInput!) { castVote(input: $input) { replayed } }',
        { input: { pollId: poll.id, optionIds: [poll.options[1].id], idempotencyKey: `embed-${Date.now()}` } },
        otherToken,
      );
      if (cast.errors) throw new Error(`castVote failed: ${JSON.stringify(cast.errors)}`);
      await waitUntil(
        async () => (await frame.getByTestId('result-1').getAttribute('data-votes', { timeout: 1000 }).catch(() => null)) === '1',
        5000,
        'the widget did not show the other vote live',
      );
      // The host's script sized the frame to the height the widget reported.
      const sizes = await page.evaluate(() => {
        const iframe = /** @type {HTMLIFrameElement} */ (document.querySelector('iframe'));
        return { style: iframe.style.height, box: iframe.getBoundingClientRect().height };
      });
      if (!sizes.style.endsWith('px') || sizes.box < 150) throw new Error(`the frame was not sized by the widget: ${JSON.stringify(sizes)}`);
      const inner = await frame.locator('html').evaluate((html) => html.scrollHeight);
      if (Math.abs(inner - sizes.box) > 2) throw new Error(`frame ${sizes.box}px tall, widget ${inner}px`);
      console.log(`    widget sized to ${sizes.style} by postMessage`);
      await capture(page, 'embed-on-another-site', { fullPage: true });
      // The same host page on a phone: the widget shows the live results and sizes its frame.
      const phone = await newPage('phone', 'embed-host-phone');
      await phone.goto(host.url);
      const phoneFrame = phone.frameLocator('iframe');
      await waitUntil(
        async () => (await phoneFrame.getByTestId('result-1').getAttribute('data-votes', { timeout: 1000 }).catch(() => null)) === '1',
        15_000,
        'the widget on a phone did not show the results',
      );
      await waitUntil(
        async () => (await phone.evaluate(() => /** @type {HTMLIFrameElement} */ (document.querySelector('iframe')).style.height)).endsWith('px'),
        10_000,
        'the frame on a phone was not sized by the widget',
      );
      await capture(phone, 'embed-on-another-site-phone', { fullPage: true });
    } finally {
      host.close();
    }
  });
}

/** @param {Ctx} ctx */
export async function joinSteps(ctx) {
  const { owner, pollUrl, step, waitUntil, newPage, api, tokenOf } = ctx;
  const pollId = new URL(pollUrl).pathname.split('/').pop() ?? '';
  const answer = await api('query($id: ID!) { poll(id: $id) { joinCode } }', { id: pollId });
  const code = answer.data?.poll?.joinCode;

  await step('a join code typed on the home page (any case, with a dash) opens the poll; an unknown one says so', async () => {
    if (typeof code !== 'string' || code.length !== 6) throw new Error(`the poll has no join code: ${JSON.stringify(answer)}`);
    const page = await newPage('phone', 'code-typer');
    await page.goto('/');
    const form = page.getByTestId('join-code-form');
    await form.getByRole('textbox').fill(`${code.slice(0, 3).toLowerCase()}-${code.slice(3)}`);
    await form.getByRole('button', { name: 'Open' }).click();
    await page.waitForURL(`**/polls/${pollId}`, { timeout: 10_000 });
    await page.getByTestId('poll').waitFor();
    await page.goto('/j/222222');
    await page.getByTestId('join-unknown').waitFor({ timeout: 10_000 });
    await capture(page, 'join-code-unknown', { fullPage: false });
    // The same code typed on a desktop, as shown on a projected screen.
    const desktop = await newPage('desktop', 'code-typer-desktop');
    await desktop.goto('/');
    const desk = desktop.getByTestId('join-code-form');
    await desk.getByRole('textbox').fill(code);
    await desk.getByRole('button', { name: 'Open' }).click();
    await desktop.waitForURL(`**/polls/${pollId}`, { timeout: 10_000 });
    await desktop.getByTestId('poll').waitFor();
    await capture(desktop, 'join-code-desktop', { fullPage: false });
  });

  await step('the presenter screen shows the question, live bars, the join code and a large QR code, and names the winner when the poll closes', async () => {
    const token = await tokenOf(owner);
    const created = await api(
      'mutation($input: CreatePollInput!) { createPoll(input: $input) { id joinCode options { id } } }',
      { input: { title: 'Which talk next?', options: ['Rust at scale', 'Live polls'] } },
      token,
    );
    const poll = created.data?.createPoll;
    if (!poll) throw new Error(`createPoll failed: ${JSON.stringify(created.errors)}`);
    const page = await newPage('desktop', 'presenter', { reducedMotion: 'reduce' });
    await page.goto(`/polls/${poll.id}/present`);
    await page.getByTestId('present').waitFor();
    await waitUntil(async () => (await page.getByTestId('present-code').textContent().catch(() => '')) === poll.joinCode, 10_000, 'no join code on the presenter screen');
    const qr = await page.getByTestId('qr-code').boundingBox({ timeout: 10_000 });
    if (!qr || qr.width < 250) throw new Error(`the QR code is small: ${JSON.stringify(qr)}`);
    // The same screen on a phone held up in the room: code, total and winner too.
    const phone = await newPage('phone', 'presenter-phone', { reducedMotion: 'reduce' });
    await phone.goto(`/polls/${poll.id}/present`);
    await phone.getByTestId('present').waitFor();
    await waitUntil(async () => (await phone.getByTestId('present-code').textContent().catch(() => '')) === poll.joinCode, 10_000, 'no join code on the phone presenter screen');
    const voter = await api('mutation($input: RegisterInput!) { register(input: $input) { token } }', {
      input: { username: `presentfan${Date.now() % 100000}`, password: 'a long enough password' },
    });
    const cast = await api(
      'mutation($input: CastVoteInput!) { castVote(input: $input) { replayed } }',
      { input: { pollId: poll.id, optionIds: [poll.options[1].id], idempotencyKey: `present-${Date.now()}` } },
      voter.data?.register?.token,
    );
    if (cast.errors) throw new Error(`castVote failed: ${JSON.stringify(cast.errors)}`);
    await waitUntil(async () => (await page.getByTestId('present-total').textContent()) === '1 vote', 5000, async () => `total says "${await page.getByTestId('present-total').textContent()}"`);
    await capture(page, 'presenter-live', { fullPage: false });
    await waitUntil(async () => (await phone.getByTestId('present-total').textContent()) === '1 vote', 5000, async () => `the phone's total says "${await phone.getByTestId('present-total').textContent()}"`);
    await capture(phone, 'presenter-live-phone', { fullPage: false });
    const closed = await api('mutation($id: ID!) { closePoll(id: $id) { status } }', { id: poll.id }, token);
    if (closed.errors) throw new Error(`closePoll failed: ${JSON.stringify(closed.errors)}`);
    await waitUntil(async () => (await page.getByTestId('present-winner').textContent().catch(() => '')) === 'Live polls wins', 10_000, 'no winner on the presenter screen');
    await capture(page, 'presenter-winner', { fullPage: false });
    await waitUntil(async () => (await phone.getByTestId('present-winner').textContent().catch(() => '')) === 'Live polls wins', 10_000, 'no winner on the phone presenter screen');
    await capture(phone, 'presenter-winner-phone', { fullPage: false });
  });
}
