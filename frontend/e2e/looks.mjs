// Issue 16 item 7, "Looks": a dark theme that follows the system setting (every page state
// checked with axe in it, at desktop and phone size), motion that stops under
// prefers-reduced-motion, and text set only in the sizes of the type scale.
import { capture } from './capture.mjs';

/**
 * @typedef {import('playwright-core').Page} Page
 * @typedef {{
 *   owner: Page,
 *   pollUrl: string,
 *   step: (name: string, body: () => Promise<void>) => Promise<void>,
 *   waitUntil: (check: () => Promise<boolean>, timeout: number, message: string | (() => Promise<string>)) => Promise<void>,
 *   newPage: (size: 'desktop' | 'phone', who: string, options?: { colorScheme?: 'dark' | 'light', reducedMotion?: 'reduce' | 'no-preference' }) => Promise<Page>,
 * }} Ctx
 */

/** Relative luminance of the page background (0 black … 1 white). */
const backgroundLuminance = (/** @type {Page} */ page) =>
  page.evaluate(() => {
    const [r, g, b] = (getComputedStyle(document.documentElement).backgroundColor.match(/\d+/g) ?? ['0', '0', '0']).map(Number);
    const lin = (/** @type {number} */ c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r ?? 0) + 0.7152 * lin(g ?? 0) + 0.0722 * lin(b ?? 0);
  });

/**
 * Text whose size is not one of the scale's steps (`--step-*` as computed at this
 * viewport): "tag.class 15px: text…" lines.
 * @param {Page} page
 */
const offScale = (page) =>
  page.evaluate(() => {
    const steps = ['--step--2', '--step--1', '--step-0', '--step-1', '--step-2', '--step-3', '--step-4'].map((step) => {
      const probe = document.createElement('span');
      probe.style.fontSize = `var(${step})`;
      document.body.append(probe);
      const size = getComputedStyle(probe).fontSize;
      probe.remove();
      return size;
    });
    const odd = [];
    let checked = 0;
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      if (!(el instanceof HTMLElement) || el.closest('svg, .visually-hidden, .drag-handle')) continue;
      const ownText = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim());
      if (!ownText || el.offsetParent === null) continue;
      checked += 1;
      const size = getComputedStyle(el).fontSize;
      if (!steps.includes(size)) odd.push(`${el.tagName.toLowerCase()}.${el.className} ${size}: ${el.textContent?.trim().slice(0, 40)}`);
    }
    return { steps, odd, checked };
  });

/** @param {Ctx} ctx */
export async function looksSteps(ctx) {
  const { owner, step, waitUntil } = ctx;
  const session = await owner.evaluate(() => localStorage.getItem('tally.session'));

  for (const size of /** @type {const} */ (['desktop', 'phone'])) {
    await step(`dark mode follows the system (${size}): home, new poll, a closed poll's results and "My polls" are dark and pass axe`, async () => {
      const page = await ctx.newPage(size, `dark ${size}`, { colorScheme: 'dark' });
      await page.addInitScript((s) => s && localStorage.setItem('tally.session', s), session);
      for (const [state, url, ready] of /** @type {const} */ ([
        ['home', '/', 'h1'],
        ['new-poll', '/polls/new', 'form'],
        ['results-final', ctx.pollUrl, '[data-testid="results-outcome"]'],
        ['my-polls', '/me', '[data-testid="created-polls"] li'],
      ])) {
        await page.goto(url);
        await page.locator(ready).first().waitFor({ timeout: 10_000 });
        const luminance = await backgroundLuminance(page);
        if (luminance > 0.05) throw new Error(`${state} is not dark: background luminance ${luminance.toFixed(3)}`);
        await capture(page, `dark-${state}-${size}`);
      }
    });
  }

  await step('text uses only the sizes of the type scale (poll page and new-poll form, desktop and phone)', async () => {
    for (const size of /** @type {const} */ (['desktop', 'phone'])) {
      const page = await ctx.newPage(size, `type ${size}`);
      await page.addInitScript((s) => s && localStorage.setItem('tally.session', s), session);
      for (const [url, ready] of [
        [ctx.pollUrl, '[data-testid="results-outcome"]'],
        ['/polls/new', 'form'],
      ]) {
        await page.goto(url);
        await page.locator(ready).first().waitFor({ timeout: 10_000 });
        const { steps, odd, checked } = await offScale(page);
        if (checked < 20) throw new Error(`${size} ${url}: only ${checked} text elements found to check`);
        if (odd.length) throw new Error(`${size} ${url}: text off the scale (${steps.join(' ')}):\n      ${odd.slice(0, 8).join('\n      ')}`);
      }
    }
  });

  await step('motion: bars animate their width, and under prefers-reduced-motion nothing animates', async () => {
    const motion = async (/** @type {Page} */ page) =>
      page.evaluate(() => {
        const seconds = (/** @type {string} */ v) => Math.max(...v.split(',').map((t) => (t.trim().endsWith('ms') ? parseFloat(t) / 1000 : parseFloat(t))));
        const bar = document.querySelector('.result-bar');
        const outcome = document.querySelector('.results-outcome-final');
        return {
          bar: bar ? seconds(getComputedStyle(bar).transitionDuration) : -1,
          outcome: outcome ? seconds(getComputedStyle(outcome).animationDuration) : -1,
        };
      });
    const moving = await ctx.newPage('desktop', 'motion');
    await moving.goto(ctx.pollUrl);
    await moving.locator('.results-outcome-final').waitFor({ timeout: 10_000 });
    const normal = await motion(moving);
    if (normal.bar < 0.2 || normal.outcome < 0.2) throw new Error(`without a preference nothing moves: ${JSON.stringify(normal)}`);
    const still = await ctx.newPage('phone', 'reduced motion', { reducedMotion: 'reduce' });
    await still.goto(ctx.pollUrl);
    await still.locator('.results-outcome-final').waitFor({ timeout: 10_000 });
    const reduced = await motion(still);
    if (reduced.bar > 0.001 || reduced.outcome > 0.001) throw new Error(`under prefers-reduced-motion things still move: ${JSON.stringify(reduced)}`);
  });
}
