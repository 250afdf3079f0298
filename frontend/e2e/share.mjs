// Issue 16 item 1, "Share first": right after creating a poll, the page leads with sharing
// (link and Copy, a large QR code, the system share sheet where there is one), all of it
// above the fold, at desktop and phone size.
import { capture } from './capture.mjs';

/**
 * @typedef {import('playwright-core').Page} Page
 * @typedef {{
 *   owner: Page,
 *   voter: Page,
 *   suffix: string,
 *   step: (name: string, body: () => Promise<void>) => Promise<void>,
 *   waitUntil: (check: () => Promise<boolean>, timeout: number, message: string | (() => Promise<string>)) => Promise<void>,
 * }} Ctx
 */

/**
 * The share panel's box, and whether all of it (QR code included) is inside the first
 * screen, without scrolling.
 * @param {Page} page
 */
async function aboveTheFold(page) {
  const box = await page.getByTestId('share-first').boundingBox();
  const scrolled = await page.evaluate(() => window.scrollY);
  const height = page.viewportSize()?.height ?? 0;
  const qr = await page.getByTestId('share-first').getByTestId('qr-code').boundingBox();
  const fits = Boolean(box && qr && scrolled + box.y + box.height <= height && qr.width >= 200);
  return { fits, box, qr, scrolled, height };
}

/** @param {Ctx} ctx */
export async function shareFirstSteps(ctx) {
  const { owner, voter, step, waitUntil } = ctx;

  await step('after creating a poll (desktop) the page leads with the share panel, QR code and all above the fold', async () => {
    const fold = await aboveTheFold(owner);
    if (!fold.fits) throw new Error(`the share panel is not above the fold: ${JSON.stringify(fold)}`);
    await capture(owner, 'share-first-desktop', { fullPage: false });
  });

  await step('after creating a poll on a phone the share sheet, link, Copy and a large QR code are all above the fold', async () => {
    // Chromium on Linux has no share sheet: stand in for the phone's, and record the call.
    await voter.addInitScript(() => {
      Object.assign(navigator, {
        share: async (/** @type {ShareData} */ data) => {
          Object.assign(window, { __e2eShared: data });
        },
        canShare: () => true,
      });
    });
    const title = `Where shall we eat ${ctx.suffix}?`;
    await voter.goto('/polls/new');
    await voter.getByLabel('Question').fill(title);
    await voter.getByLabel('Option 1', { exact: true }).fill('Noodles');
    await voter.getByLabel('Option 2', { exact: true }).fill('Curry');
    await voter.getByRole('button', { name: 'Create poll' }).click();
    await voter.waitForURL(/\/polls\/[0-9a-f-]{36}$/, { timeout: 10_000 });
    await voter.getByTestId('share-first').waitFor({ timeout: 10_000 });
    const fold = await aboveTheFold(voter);
    if (!fold.fits) throw new Error(`on a phone the share panel is not above the fold: ${JSON.stringify(fold)}`);
    await voter.getByRole('button', { name: 'Share…' }).click();
    await waitUntil(async () => Boolean(await voter.evaluate(() => Reflect.get(window, '__e2eShared'))), 2000, 'the share sheet was not opened');
    const shared = await voter.evaluate(() => Reflect.get(window, '__e2eShared'));
    const link = await voter.getByTestId('share-link').inputValue();
    if (shared.url !== link || shared.title !== title || !link.endsWith(new URL(voter.url()).pathname)) {
      throw new Error(`the share sheet got ${JSON.stringify(shared)}; the link is ${link}`);
    }
    await capture(voter, 'share-first-phone', { fullPage: false });
  });
}
