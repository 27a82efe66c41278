/**
 * Headless Chromium for the browser suites (`*.browser.test.ts`): one launch, one page factory
 * that collects console errors, one axe-core run. CI installs /usr/bin/chromium; elsewhere a
 * suite without it is skipped with the reason, unless CI is set: then it fails.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const INSTALL_HINT = 'chromium not installed: apt-get install -y chromium';
const haveChromium = existsSync(CHROMIUM);

/** `describe`'s skip option: the reason when Chromium is missing, unless CI is set (the suite then fails in `launchChromium`). */
export const skipWithoutChromium: string | false = haveChromium || process.env.CI ? false : INSTALL_HINT;

/** Screenshots go to the repository's `.tmp/` (created by `screenshotDir`). */
const TMP = fileURLToPath(new URL('../../.tmp/', import.meta.url));

export function screenshotDir(): string {
  mkdirSync(TMP, { recursive: true });
  return TMP;
}

export async function launchChromium(): Promise<Browser> {
  if (!haveChromium) throw new Error(`${INSTALL_HINT} (CI is set, so the browser suite fails instead of skipping)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * A page in a fresh context, closed after the test `t`; `errors` collects console errors and
 * uncaught page errors (a CSP violation is a console error).
 */
export async function openPage(
  browser: Browser | undefined,
  t: { after(fn: () => Promise<void>): void },
  options: BrowserContextOptions = {},
): Promise<{ page: Page; errors: string[] }> {
  assert.ok(browser, 'browser launched');
  const context = await browser.newContext(options);
  t.after(() => context.close());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || /Content.Security.Policy/i.test(msg.text())) errors.push(msg.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors };
}

export interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's browser bundle, read once. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * What axe-core finds on the page as it is. It is evaluated through the DevTools protocol, not
 * a script tag, which the pages' CSP would refuse.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  // A string expression: the tests' TypeScript has no DOM types.
  return (await page.evaluate(
    'axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))',
  )) as AxeViolation[];
}

/** Fails with axe's findings (rule, impact, elements) when there is any. */
export async function assertAccessible(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `${what}: axe violations\n${JSON.stringify(violations, null, 2)}`);
}
