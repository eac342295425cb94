import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../src/index.js';
import { SEEDED, type Seeded, seededStore } from './__test-utils__/seed.js';

// Debian's chromium, driven by playwright-core (a browser download fails here). CHROMIUM_PATH
// points elsewhere; CI installs chromium, so there a missing browser is a failure, not a skip.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) {
  if (process.env.CI === 'true') {
    throw new Error(
      `no Chromium at ${CHROMIUM}: CI must install it (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  console.warn(
    `browser tests of the console skipped: no Chromium at ${CHROMIUM} (install chromium or set CHROMIUM_PATH)`,
  );
}

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/console/', import.meta.url));

describe.skipIf(!HAS_CHROMIUM)('the console in headless Chromium', () => {
  let world: Seeded;
  let running: RunningConsole;
  let browser: Browser;
  /** The operator's browser: opened the printed address, so actions carry the token. */
  let operator: BrowserContext;
  /** A browser that never saw the token. */
  let stranger: BrowserContext;

  /** Script errors and Content-Security-Policy violations seen on any page (there must be none). */
  const pageErrors: string[] = [];
  const origin = () => new URL(running.url).origin;
  const screenshot = (page: Page, name: string) =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const stateOf = async (userId: string) => (await world.store.get(userId))?.state;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    world = await seededStore();
    running = await startConsole({ ...world, port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    operator = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    stranger = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    for (const context of [operator, stranger]) {
      context.on('page', (page) => {
        page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
        page.on('console', (message) => {
          if (/Content Security Policy|Refused to/.test(message.text()))
            pageErrors.push(`${page.url()}: ${message.text()}`);
        });
      });
    }
  });

  afterAll(async () => {
    await browser?.close();
    await running?.close();
  });

  it('the overview shows the count of every state and the funnel, and refreshes them without a reload', async () => {
    const page = await operator.newPage();
    await page.goto(running.url);
    // The printed address stored the token and took it out of the address bar.
    expect(page.url()).toBe(`${origin()}/`);
    for (const [state, ids] of Object.entries(SEEDED)) {
      expect(await page.locator(`#counts tr[data-state="${state}"] td.n`).textContent()).toBe(
        String(ids.length),
      );
    }
    expect(await page.locator('#counts tr[data-state="total"] th.n').textContent()).toBe('11');
    expect(await page.locator('#funnel tr[data-stage="verified"] td.n').textContent()).toBe('3');

    await page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));
    await world.handoff.retry('gone-1');
    await expect
      .poll(() => page.locator('#counts tr[data-state="failed"] td.n').textContent(), { timeout: 10_000 })
      .toBe('2');
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // Two samples a refresh apart draw the throughput chart.
    await page.locator('#throughput svg').waitFor({ timeout: 10_000 });
    await screenshot(page, 'overview');
    await page.close();
  });

  it('the machine page shows the counts on the diagram: states and transitions', async () => {
    const page = await operator.newPage();
    await page.goto(`${origin()}/machine`);
    const countOn = (selector: string) => page.locator(`${selector} text.count`).textContent();
    expect(await countOn('g.node[data-state="verified"]')).toBe('3');
    expect(await countOn('g.node[data-state="rejected"]')).toBe('1');
    expect(await countOn('g.node[data-state="requiresData"]')).toBe('2');
    expect(await countOn('g.cluster[data-state="verificationPending"]')).toBe('1');
    expect(await countOn('g.cluster[data-state="policyPending"]')).toBe(
      String(await (async () => (await world.store.countsByState()).policyPending ?? 0)()),
    );
    expect(await countOn('g.edge[data-from="userCreated_triggering"][data-to="verified"]')).toBe('3');
    expect(await countOn('g.edge[data-from="userCreated_triggering"][data-to="requiresData"]')).toBe('2');
    expect(await countOn('g.edge[data-from="start"]')).toBe('11');
    // Every edge carries a count, zero included.
    const edges = await page.locator('g.edge').count();
    expect(await page.locator('g.edge text.count').count()).toBe(edges);
    await screenshot(page, 'machine');
    await page.close();
  });

  it('Retry without the token is refused and the failed user stays failed', async () => {
    const page = await stranger.newPage();
    await page.goto(`${origin()}/queues`);
    await page.locator('button[data-retry="bad-1"]').click();
    await expect.poll(() => page.locator('#flash').textContent(), { timeout: 10_000 }).toContain('Refused');
    expect(await stateOf('bad-1')).toBe('failed');
    await page.close();
  });

  it('Retry with the token (from the printed address) moves the failed user back to the start', async () => {
    const page = await operator.newPage();
    await page.goto(`${origin()}/queues`);
    await page.locator('button[data-retry="bad-1"]').click();
    await expect
      .poll(() => page.locator('#flash').textContent(), { timeout: 10_000 })
      .toContain('Retried user bad-1');
    expect(await stateOf('bad-1')).toBe('policyPending');
    // The failed list refreshes by itself and no longer offers bad-1.
    await page.locator('button[data-retry="bad-1"]').waitFor({ state: 'detached', timeout: 10_000 });
    await screenshot(page, 'queues');
    await page.close();
  });

  it('the search box opens a user page that shows the state and the journal', async () => {
    const page = await stranger.newPage();
    await page.goto(`${origin()}/`);
    await page.locator('input[name="id"]').fill('ok-1');
    await page.locator('input[name="id"]').press('Enter');
    await page.waitForURL(`${origin()}/users/ok-1`);
    expect(await page.locator('#state').textContent()).toBe('verified');
    const journal = await world.store.journal('ok-1');
    expect(await page.locator('#journal tbody tr').count()).toBe(journal.length);
    expect(await page.locator('#journal tbody').textContent()).toContain('VERIFICATION_STATUS');
    await screenshot(page, 'user');
    await page.close();
  });

  // Last: it reads what every test above saw.
  it('no page raised a script error or a Content-Security-Policy violation', () => {
    expect(pageErrors).toEqual([]);
  });
});
