// Issue 16 item 4, "Honest outages": the server process is killed while a vote is on its
// way and started again on the same port with the same data. Every page must say it cannot
// reach Tally within 5 s and pause voting; within 2 s of the server answering again the
// banners go, live results reconnect, "My polls" (which failed meanwhile) loads by itself,
// and the vote that was in flight is sent again with the same idempotency key and counted
// once.
import { capture } from './capture.mjs';

/** The deadlines. */
const SAY_SO_WITHIN_MS = 5000;
const RECOVER_WITHIN_MS = 2000;

/**
 * @typedef {import('playwright-core').Page} Page
 * @typedef {{
 *   owner: Page,
 *   voter: Page,
 *   suffix: string,
 *   step: (name: string, body: () => Promise<void>) => Promise<void>,
 *   waitUntil: (check: () => Promise<boolean>, timeout: number, message: string | (() => Promise<string>)) => Promise<void>,
 *   api: (query: string, variables: Record<string, unknown>, token?: string) => Promise<unknown>,
 *   tokenOf: (page: Page) => Promise<string>,
 *   server: { kill(): Promise<void>, start(): Promise<void> },
 *   outage: { open: boolean },
 * }} Ctx
 */

/** @param {Page} page */
const bannerShown = async (page) => (await page.getByTestId('unreachable-banner').count()) > 0;

/** @param {Ctx} ctx */
export async function outageSteps(ctx) {
  const { owner, voter, step, waitUntil, api, server } = ctx;
  const title = `Still there ${ctx.suffix}?`;
  const created = /** @type {any} */ (
    await api('mutation($input: CreatePollInput!) { createPoll(input: $input) { id } }', { input: { title, options: ['Yes', 'No'] } }, await ctx.tokenOf(owner))
  );
  const pollId = created?.data?.createPoll?.id;
  if (!pollId) throw new Error(`createPoll failed: ${JSON.stringify(created)}`);
  const myPolls = await owner.context().newPage();

  /** @type {string[]} every castVote idempotency key the voter's page sent */
  const keys = [];
  /** @type {number} */
  let killedAt = 0;

  await step(`outage: the server is killed while a vote is on its way; within ${SAY_SO_WITHIN_MS} ms every page says it can't reach Tally and voting is paused`, async () => {
    for (const page of [owner, voter]) {
      await page.goto(`/polls/${pollId}`);
      await waitUntil(async () => (await page.getByTestId('live-indicator').getAttribute('data-state')) === 'live', 10_000, 'the poll never went live');
    }
    await myPolls.goto('/me');
    await myPolls.getByTestId('created-polls').locator('li', { hasText: title }).waitFor({ timeout: 10_000 });

    // The voter's vote leaves the page; the server dies before it arrives.
    await voter.route('**/graphql', async (route) => {
      const body = route.request().postDataJSON();
      const key = body?.variables?.input?.idempotencyKey;
      if (typeof key === 'string') {
        keys.push(key);
        if (!killedAt) {
          ctx.outage.open = true;
          await server.kill();
          killedAt = Date.now();
        }
      }
      await route.continue().catch(() => {});
    });
    const form = voter.getByTestId('vote-form');
    await form.getByLabel('Yes', { exact: true }).check();
    await form.getByRole('button', { name: 'Vote' }).click();
    await waitUntil(() => Promise.resolve(killedAt > 0), 5000, 'the vote never left the page');

    // "My polls" is opened anew during the outage: it fails.
    await myPolls.getByRole('link', { name: 'Open polls' }).click();
    await myPolls.getByRole('link', { name: 'My polls' }).click();

    for (const [who, page] of /** @type {const} */ ([['owner', owner], ['voter', voter], ['my polls', myPolls]])) {
      await waitUntil(() => bannerShown(page), SAY_SO_WITHIN_MS - (Date.now() - killedAt), `${who}: no "Can't reach Tally" banner within ${SAY_SO_WITHIN_MS} ms`);
      const text = await page.getByTestId('unreachable-banner').innerText();
      if (text !== 'Can’t reach Tally — results may be out of date; retrying…') throw new Error(`${who}'s banner reads "${text}"`);
    }
    console.log(`    (banners up ${Date.now() - killedAt} ms after the kill)`);
    await waitUntil(
      async () => (await voter.getByTestId('vote-message').innerText()).includes('Your vote is kept and will be sent as soon as Tally answers'),
      3000,
      async () => `the voter is not told the vote waits; message: ${await voter.getByTestId('vote-message').innerText().catch(() => 'none')}`,
    );
    if (!(await form.getByRole('button', { name: /Sending vote|Vote/ }).isDisabled())) throw new Error('the vote button is not disabled during the outage');
    const indicator = await owner.getByTestId('live-indicator').innerText();
    if (indicator !== 'Reconnecting…') throw new Error(`during the outage the owner's live indicator reads "${indicator}"`);
    // Someone who has not voted yet cannot start a vote, and is told why.
    const ownerForm = owner.getByTestId('vote-form');
    if (!(await ownerForm.getByRole('button', { name: 'Vote' }).isDisabled())) throw new Error("the owner's Vote button is not disabled during the outage");
    const why = await ownerForm.innerText();
    if (!why.includes('Can’t reach Tally right now, so voting is paused.')) throw new Error(`the owner's ballot does not say why voting is paused: ${why.replace(/\s+/g, ' ')}`);
    await waitUntil(async () => (await myPolls.getByTestId('created-polls').getByRole('button', { name: 'Try again' }).count()) > 0, 5000, '"My polls" did not fail during the outage');
    await capture(owner, 'outage-poll-desktop', { fullPage: false });
    await capture(voter, 'outage-vote-waiting-phone', { fullPage: false });
    await capture(myPolls, 'outage-my-polls-desktop', { fullPage: false });
  });

  await step(`outage: the server starts again (same port, same data); within ${RECOVER_WITHIN_MS} ms the banners go, live results reconnect, "My polls" loads by itself, and the waiting vote is counted once with the same key`, async () => {
    // Down for a few seconds: long enough for the live feed to back off.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 3000 - (Date.now() - killedAt))));
    await server.start();
    const back = Date.now();
    for (const [who, page] of /** @type {const} */ ([['owner', owner], ['voter', voter], ['my polls', myPolls]])) {
      await waitUntil(async () => !(await bannerShown(page)), RECOVER_WITHIN_MS - (Date.now() - back), `${who}: the banner is still up ${RECOVER_WITHIN_MS} ms after the server came back`);
    }
    await waitUntil(
      async () => (await owner.getByTestId('live-indicator').getAttribute('data-state')) === 'live',
      RECOVER_WITHIN_MS - (Date.now() - back),
      async () => `the owner's live results did not reconnect within ${RECOVER_WITHIN_MS} ms (${await owner.getByTestId('live-indicator').getAttribute('data-state')})`,
    );
    console.log(`    (banners gone and live again ${Date.now() - back} ms after the server answered /healthz)`);
    await waitUntil(
      async () => (await voter.getByTestId('my-vote').innerText()).includes('You voted for Yes'),
      5000,
      async () => `the waiting vote was not sent; message: ${await voter.getByTestId('vote-message').innerText().catch(() => 'none')}`,
    );
    const message = await voter.getByTestId('vote-message').innerText();
    if (!message.includes('Your vote was counted.')) throw new Error(`after the outage the voter reads "${message}"`);
    if (keys.length < 2 || new Set(keys).size !== 1) throw new Error(`castVote was sent ${keys.length} times with keys ${JSON.stringify(keys)}: expected a retry with one key`);
    console.log(`    (castVote sent ${keys.length} times, all with key ${keys[0]})`);
    await waitUntil(
      async () => (await owner.getByTestId('result-0').getAttribute('data-votes')) === '1',
      3000,
      'the owner does not see the vote live after the outage',
    );
    const tally = /** @type {any} */ (await api('query($id: ID!) { poll(id: $id) { results { totalVotes } } }', { id: pollId }));
    if (tally?.data?.poll?.results?.totalVotes !== 1) throw new Error(`the poll counts ${JSON.stringify(tally)}: expected exactly 1 vote`);
    const list = myPolls.getByTestId('created-polls');
    await waitUntil(async () => (await list.locator('li', { hasText: title }).count()) === 1, 3000, '"My polls" did not load by itself after the outage');
    if ((await list.getByRole('button', { name: 'Try again' }).count()) > 0) throw new Error('"My polls" still shows its error');
    await voter.unroute('**/graphql');
    ctx.outage.open = false;
    await capture(voter, 'outage-recovered-phone', { fullPage: false });
    await capture(myPolls, 'outage-recovered-my-polls-desktop', { fullPage: false });
    await myPolls.close();
  });
}
