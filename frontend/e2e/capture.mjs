// Page states for the record: a screenshot of each into e2e/screenshots/, and an axe-core
// accessibility check of the same state that fails on any serious or critical violation
// (WCAG 2.0–2.2 A and AA rules).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const screenshotsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const BLOCKING = new Set(['serious', 'critical']);

/** @type {Array<{ name: string, rules: number }>} Every state captured, with how many axe rules passed on it. */
export const captured = [];

/**
 * Runs axe-core on the page as it is now; returns how many rules passed and the serious
 * and critical violations as readable lines. (Injected through the DevTools protocol, so the app's
 * Content-Security-Policy does not stand in the way.)
 * @param {import('playwright-core').Page} page
 */
export async function axeViolations(page) {
  const loaded = await page.evaluate(() => typeof Reflect.get(window, 'axe') === 'object');
  if (!loaded) await page.evaluate(axeSource);
  /** @type {{ passes: number, violations: Array<{ id: string, impact: string | null, help: string, nodes: Array<{ target: string[], failureSummary?: string }> }> }} */
  const result = await page.evaluate(
    (tags) =>
      Reflect.get(window, 'axe')
        .run(document, { runOnly: { type: 'tag', values: tags } })
        .then((/** @type {{ passes: unknown[], violations: any[] }} */ r) => ({ passes: r.passes.length, violations: r.violations })),
    AXE_TAGS,
  );
  // A check that ran no rule proves nothing.
  if (result.passes === 0) throw new Error('axe ran no rule on the page');
  return { passes: result.passes, problems: result.violations
    .filter((v) => BLOCKING.has(v.impact ?? ''))
    .map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}: ${(v.nodes[0]?.failureSummary ?? '').replace(/\s+/g, ' ').slice(0, 200)}`) };
}

/**
 * Saves `screenshots/NAME.png` (full page) and checks the state with axe: throws when axe
 * finds a serious or critical violation.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 * @param {{ fullPage?: boolean }} [options]
 */
export async function capture(page, name, options = {}) {
  await page.screenshot({ path: path.join(screenshotsDir, `${name}.png`), fullPage: options.fullPage ?? true });
  const { passes, problems } = await axeViolations(page);
  captured.push({ name, rules: passes });
  if (problems.length) throw new Error(`axe: ${problems.length} serious/critical violation(s) on "${name}":\n      ${problems.join('\n      ')}`);
}
