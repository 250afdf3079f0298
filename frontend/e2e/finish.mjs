// Issue 16 item 6, "Finish": what a first visitor trips on, at desktop (the owner's
// browser, 1280×800) and phone size (the voter's, 390×844). Each page state is saved to
// e2e/screenshots/ and checked with axe (./capture.mjs).
import { capture } from './capture.mjs';

/**
 * @typedef {import('playwright-core').Page} Page
 * @typedef {{
 *   base: string,
 *   browser: import('playwright-core').Browser,
 *   owner: Page,
 *   voter: Page,
 *   suffix: string,
 *   pollUrl: string,
 *   step: (name: string, body: () => Promise<void>) => Promise<void>,
 *   waitUntil: (check: () => Promise<boolean>, timeout: number, message: string | (() => Promise<string>)) => Promise<void>,
 *   api: (query: string, variables: Record<string, unknown>, token?: string) => Promise<unknown>,
 *   tokenOf: (page: Page) => Promise<string>,
 *   newPage: (size: 'desktop' | 'phone', who: string) => Promise<Page>,
 * }} Ctx
 */

/** @param {Page} page */
const sizeOf = (page) => ((page.viewportSize()?.width ?? 0) < 600 ? 'phone' : 'desktop');

/** @param {Page} page @param {string} label */
const isFocused = (page, label) => page.getByLabel(label, { exact: true }).evaluate((el) => el === document.activeElement);

/** @param {Ctx} ctx */
export async function finishSteps(ctx) {
  const { owner, voter, step, waitUntil, api, tokenOf } = ctx;

  await step('the landing page leads with "Create a poll", above the fold; the header "Sign up" button has padding (desktop and phone)', async () => {
    for (const size of /** @type {const} */ (['desktop', 'phone'])) {
      const page = await ctx.newPage(size, `signed-out ${size} visitor`);
      await page.goto('/');
      await page.getByRole('heading', { level: 1 }).waitFor({ timeout: 10_000 });
      const first = page.locator('main').getByRole('link').first();
      if ((await first.innerText()) !== 'Create a poll') throw new Error(`${size}: the first link in the page is "${await first.innerText()}"`);
      const box = await first.boundingBox();
      const height = page.viewportSize()?.height ?? 0;
      if (!box || box.y + box.height > height) throw new Error(`${size}: "Create a poll" is below the fold (${JSON.stringify(box)})`);
      const signUp = page.locator('header').getByRole('link', { name: 'Sign up' });
      const padding = await signUp.evaluate((el) => parseFloat(getComputedStyle(el).paddingLeft));
      if (padding < 8) throw new Error(`${size}: the header "Sign up" button has ${padding}px of padding`);
      await capture(page, `home-${size}`);
    }
  });

  for (const page of [owner, voter]) {
    const size = sizeOf(page);
    await step(`new-poll form (${size}): Enter moves to the next option or adds one and never submits; the title counts its characters; no "remove it" at the minimum`, async () => {
      await page.goto('/polls/new');
      await page.getByLabel('Question').fill('Tea or coffee?');
      const counter = () => page.getByTestId('title-counter').innerText();
      if ((await counter()) !== '14 of 200 characters') throw new Error(`the title counter reads "${await counter()}"`);
      await page.getByLabel('Option 1', { exact: true }).fill('Tea');
      await page.getByLabel('Option 1', { exact: true }).press('Enter');
      if (!(await isFocused(page, 'Option 2'))) throw new Error('Enter in option 1 did not move to option 2');
      await page.keyboard.type('Coffee');
      await page.keyboard.press('Enter');
      await waitUntil(() => isFocused(page, 'Option 3'), 2000, 'Enter in the last option did not add and focus option 3');
      await page.keyboard.press('Enter'); // an empty last option: nothing happens
      await page.waitForTimeout(200);
      if (!page.url().endsWith('/polls/new')) throw new Error(`Enter submitted the form: now at ${page.url()}`);
      if ((await page.getByLabel(/^Option \d+$/).count()) !== 3) throw new Error('Enter in an empty option added another');
      await page.getByRole('button', { name: 'Create poll' }).click();
      await waitUntil(async () => (await page.locator('.error-summary').innerText()).includes('Enter option 3, or remove it.'), 3000, 'no "Enter option 3, or remove it."');
      await page.getByRole('button', { name: 'Remove option 3' }).click();
      await waitUntil(async () => (await page.getByLabel(/^Option \d+$/).count()) === 2, 2000, 'option 3 was not removed');
      // Emptied by keys, as a person would: each key is an input event the form sees.
      const first = page.getByLabel('Option 1', { exact: true });
      await first.click();
      await first.press('ControlOrMeta+a');
      await first.press('Backspace');
      await page.getByLabel('Question').fill('x'.repeat(205));
      await waitUntil(async () => (await counter()) === '5 characters too many (205 of 200)', 2000, async () => `the title counter reads "${await counter()}"`);
      await page.getByRole('button', { name: 'Create poll' }).click();
      await waitUntil(
        async () => {
          const summary = await page.locator('.error-summary').innerText();
          return summary.includes('Enter option 1.') && !summary.includes('or remove it');
        },
        3000,
        async () => `at two options the summary reads: ${(await page.locator('.error-summary').innerText()).replace(/\s+/g, ' ')}`,
      );
      if ((await counter()) !== '5 characters too many (205 of 200)') throw new Error(`the title counter reads "${await counter()}"`);
      if ((await page.getByTestId('title-counter-live').innerText()) !== '5 characters too many (205 of 200)') throw new Error('the counter is not read out near the limit');
      await capture(page, `new-poll-errors-${size}`);
    });
  }

  const ownerToken = await tokenOf(owner);
  const voterToken = await tokenOf(voter);
  /** @param {Record<string, unknown>} input */
  const createPoll = async (input) => {
    const created = await api('mutation($input: CreatePollInput!) { createPoll(input: $input) { id options { id } } }', { input }, ownerToken);
    const poll = /** @type {any} */ (created)?.data?.createPoll;
    if (!poll?.id) throw new Error(`createPoll failed: ${JSON.stringify(created)}`);
    return /** @type {{ id: string, options: Array<{ id: string }> }} */ (poll);
  };
  /** @param {string} token @param {string} pollId @param {string[]} optionIds */
  const castVote = async (token, pollId, optionIds) => {
    const r = /** @type {any} */ (
      await api(
        'mutation($input: CastVoteInput!) { castVote(input: $input) { replayed } }',
        { input: { pollId, optionIds, idempotencyKey: `finish-${pollId}-${Math.random()}` } },
        token,
      )
    );
    if (!r?.data?.castVote) throw new Error(`castVote failed: ${JSON.stringify(r)}`);
  };
  /** @param {Page} page */
  const outcome = (page) => page.getByTestId('results-outcome').innerText({ timeout: 1000 });

  await step('an OWNER_ONLY poll tells its voters that only the owner sees the results, and its owner "only you"', async () => {
    const poll = await createPoll({ title: `Secret ballot ${ctx.suffix}`, options: ['Yes', 'No'], resultsVisibility: 'OWNER_ONLY' });
    for (const [page, expected] of /** @type {const} */ ([
      [voter, 'Only the poll’s owner sees the results.'],
      [owner, 'Only you, the owner, see the results.'],
    ])) {
      await page.goto(`/polls/${poll.id}`);
      await waitUntil(async () => (await page.getByTestId('poll-visibility').innerText()) === expected, 10_000, async () => `${sizeOf(page)} is told "${await page.getByTestId('poll-visibility').innerText()}"`);
      await capture(page, `owner-only-${sizeOf(page)}`);
    }
  });

  const multipleTitle = `Which days suit you ${ctx.suffix}?`;
  await step('a MULTIPLE poll: "No votes yet" and no "0 votes · 0.0%" rows before the first ballot; live, it says who is ahead and what its percentages mean; the winner is announced when it closes', async () => {
    const poll = await createPoll({ title: multipleTitle, options: ['Monday', 'Tuesday', 'Friday'], kind: 'MULTIPLE' });
    for (const page of [owner, voter]) {
      await page.goto(`/polls/${poll.id}`);
      await waitUntil(async () => (await page.getByTestId('live-indicator').getAttribute('data-state')) === 'live', 10_000, `${sizeOf(page)}: the poll never went live`);
      const total = await page.getByTestId('total-votes').innerText();
      const rows = await page.getByTestId('results').innerText();
      if (total !== 'No votes yet' || rows.includes('%') || rows.includes('0 votes')) throw new Error(`${sizeOf(page)} before any vote: "${total}" / ${rows.replace(/\s+/g, ' ')}`);
      if ((await page.getByTestId('results-outcome').count()) > 0) throw new Error('an outcome is shown before any vote');
      await capture(page, `results-empty-${sizeOf(page)}`);
    }
    const [monday, tuesday] = poll.options.map((o) => o.id);
    await castVote(ownerToken, poll.id, [/** @type {string} */ (monday), /** @type {string} */ (tuesday)]);
    await castVote(voterToken, poll.id, [/** @type {string} */ (monday)]);
    for (const page of [owner, voter]) {
      await waitUntil(
        async () => (await page.getByTestId('total-votes').innerText()) === '2 ballots' && (await outcome(page)) === 'Monday is ahead, ticked on 2 of 2 ballots (100.0%).',
        3000,
        async () => `${sizeOf(page)} live: "${await page.getByTestId('total-votes').innerText()}" / "${await outcome(page).catch(() => 'no outcome')}"`,
      );
      const note = await page.getByTestId('percentages-note').innerText();
      if (!note.startsWith('Each percentage is the share of the 2 ballots that ticked that option.')) throw new Error(`the percentages note reads "${note}"`);
    }
    await capture(voter, 'results-multiple-live-phone');
    const closed = /** @type {any} */ (await api('mutation($id: ID!) { closePoll(id: $id) { status } }', { id: poll.id }, ownerToken));
    if (closed?.data?.closePoll?.status !== 'CLOSED') throw new Error(`closePoll: ${JSON.stringify(closed)}`);
    for (const page of [owner, voter]) {
      await waitUntil(async () => (await outcome(page)) === 'Monday wins, ticked on 2 of 2 ballots (100.0%).', 5000, async () => `${sizeOf(page)} after closing: "${await outcome(page).catch(() => 'no outcome')}"`);
      await capture(page, `results-multiple-final-${sizeOf(page)}`);
    }
    // Heard as well as seen (the live region speaks at most every 5 s).
    await waitUntil(
      async () => (await voter.getByTestId('announcer-polite').innerText()).includes('Final results: 2 votes.') && (await voter.getByTestId('announcer-polite').innerText()).includes('Monday wins'),
      6000,
      async () => `the closing was not announced; the live region says "${await voter.getByTestId('announcer-polite').innerText()}"`,
    );
  });

  await step('the closed poll from the start names its result in words: a tie between Red and Green', async () => {
    for (const page of [owner, voter]) {
      await page.goto(ctx.pollUrl);
      await waitUntil(async () => (await outcome(page)) === 'Tie between Red and Green, with 1 vote each.', 10_000, async () => `${sizeOf(page)}: "${await outcome(page).catch(() => 'no outcome')}"`);
      await capture(page, `results-tie-final-${sizeOf(page)}`);
    }
  });

  await step('"My polls" shows each poll\'s vote count', async () => {
    for (const [page, list] of /** @type {const} */ ([
      [owner, 'created-polls'],
      [voter, 'voted-polls'],
    ])) {
      await page.goto('/me');
      const item = page.getByTestId(list).locator('li', { hasText: multipleTitle });
      await waitUntil(async () => (await item.getByTestId('poll-list-votes').innerText()) === '2 ballots', 5000, async () => `${sizeOf(page)}'s list item reads ${(await item.innerText().catch(() => 'nothing')).replace(/\s+/g, ' ')}`);
      await capture(page, `my-polls-${sizeOf(page)}`);
    }
  });
}
