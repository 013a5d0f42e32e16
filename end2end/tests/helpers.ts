import { expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';

/** Waits until the page has hydrated (the app marks <body> when its WASM is running). */
export async function ready(page: Page) {
  await page.locator('body[data-hydrated]').waitFor();
}

export async function open(page: Page, path: string) {
  await page.goto(path);
  await ready(page);
}

/** Saves a screenshot of the current screen as a test artifact. */
export async function screen(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

export function unique(prefix: string) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** Opens a page of the portal menu, through "Menu" where the menu is folded (phones). */
export async function goTo(page: Page, name: string) {
  const menu = page.getByRole('button', { name: 'Menu' });
  const link = page.getByRole('navigation', { name: 'Portal menu' }).getByRole('link', { name });
  // Arriving in the portal without a page load (after "Join", say), its frame shows once
  // the portal's part of the WASM has loaded: until then neither the menu nor its button is
  // on screen, and "Menu" must not be skipped for being absent.
  await expect(menu.or(link).filter({ visible: true }).first()).toBeVisible();
  if (await menu.isVisible()) await menu.click();
  await link.click();
  await ready(page);
}

export async function logIn(page: Page, login: string, password: string) {
  await open(page, '/login');
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log In' }).click();
}

export async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);
  await ready(page);
}

/**
 * Opens the development Outbox narrowed to one recipient, as a tester would: the whole
 * Outbox holds every test's mail, and its newest 200 messages make a slow page.
 */
export async function openOutbox(page: Page, recipient: string) {
  await open(page, `/dev/outbox?to=${encodeURIComponent(recipient)}`);
}

/** The first link in the newest Outbox message with this subject to this recipient. */
export async function linkFromOutbox(page: Page, subject: string, recipient: string): Promise<string> {
  await openOutbox(page, recipient);
  const message = page.getByRole('article', { name: `${subject} to ${recipient}` }).first();
  await expect(message).toBeVisible();
  const href = await message.getByRole('link').first().getAttribute('href');
  expect(href).toBeTruthy();
  return href as string;
}

/**
 * Creates a portal through the sign-up page; the creator (Ann Lee) stays logged in and,
 * unless `confirm` is false, confirms the address from the e-mailed link, as a new admin
 * must before the portal can invite anyone.
 */
export async function createPortal(page: Page, slug: string, email: string, password: string, { confirm = true } = {}) {
  await open(page, '/');
  await page.getByLabel('Company name').fill('Acme Ltd');
  await page.getByLabel('Portal address').fill(slug);
  await page.getByLabel('First name').fill('Ann');
  await page.getByLabel('Last name').fill('Lee');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(page);
  if (confirm) await confirmAddress(page, slug, email);
}

/** Opens the newest address confirmation link sent to `email`, then returns to the portal. */
export async function confirmAddress(page: Page, slug: string, email: string) {
  const link = await linkFromOutbox(page, 'Confirm your e-mail address', email);
  await open(page, link);
  await page.getByRole('button', { name: 'Confirm e-mail address' }).click();
  await expect(page.getByRole('status')).toContainText(`${email} is confirmed`);
  await open(page, `/p/${slug}`);
}

/** Runs an operator command of the release binary against the browser tests' database. */
export function operator(...args: string[]): string {
  const bin = process.env.APP_BIN;
  const url = process.env.E2E_DATABASE_URL;
  if (!bin || !url) throw new Error('APP_BIN and E2E_DATABASE_URL are not set (scripts/test sets them)');
  return execFileSync(bin, args, { env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' });
}

/**
 * Puts a colleague into the portal as an active employee, with the same password as
 * `sameAs`. Adding people through the product is the invitations feature; until then
 * the test arranges its data in the database, as integration tests do.
 */
export function addColleague(slug: string, email: string, first: string, last: string, sameAs: string, role = 'employee') {
  arrange(`
    INSERT INTO accounts (login, password_hash, first_name, last_name)
      SELECT '${email}', password_hash, '${first}', '${last}' FROM accounts WHERE login = '${sameAs}';
    INSERT INTO memberships (portal_id, account_id, status, role, contact_email)
      SELECT p.id, a.id, 'active', '${role}', a.login FROM portals p, accounts a WHERE p.slug = '${slug}' AND a.login = '${email}';`);
}

/** Runs SQL against the browser tests' database: for arranging data, as integration tests do. */
function arrange(sql: string) {
  const url = process.env.E2E_DATABASE_URL;
  if (!url) throw new Error('E2E_DATABASE_URL is not set (scripts/test sets it)');
  execFileSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', sql]);
}

/**
 * The code an authenticator app shows for a key (base32, as the network profile shows it)
 * at a moment: RFC 6238 with SHA-1, 30-second steps and 6 digits, the way the apps do it.
 */
export function appCode(key: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...key.replace(/[\s=]/g, '').toUpperCase()].map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');
  const secret = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', secret).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}

/**
 * Notes, on the page's own clock, the moment a button named `name` appears; read it with
 * `shownAt(page)`. For live updates, whose delay is the time from a click elsewhere.
 */
export async function watchForButton(page: Page, name: string) {
  await page.evaluate((name) => {
    const seen = () => [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === name);
    new MutationObserver((_, observer) => {
      if (seen()) {
        (window as unknown as { shownAt: number }).shownAt = Date.now();
        observer.disconnect();
      }
    }).observe(document.body, { childList: true, subtree: true });
  }, name);
}

export async function shownAt(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { shownAt: number }).shownAt);
}
