import AxeBuilder from '@axe-core/playwright';
import { expect, Page, test } from '@playwright/test';
import { createPortal, goTo, linkFromOutbox, logIn, logOut, open, openOutbox, operator, ready, screen, unique } from './helpers';

const password = 'violet-harbor-42';

/** Invites `addresses` from the Employees page's dialog. */
async function invite(page: Page, addresses: string, expected: string) {
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByLabel('E-mail addresses').fill(addresses);
  await dialog.getByRole('button', { name: 'Invite' }).click();
  await expect(dialog.getByRole('status')).toContainText(expected);
  await page.getByRole('button', { name: 'Invite users' }).click();
}

test('an anonymous visitor goes to log-in and comes back to the page @phone', async ({ page }) => {
  const slug = unique('anon');
  const email = `${slug}@example.com`;
  await createPortal(page, slug, email, password, { confirm: false });
  await logOut(page);
  await page.goto(`/p/${slug}/employees?filter=admins`);
  await ready(page);
  await expect(page).toHaveURL(/\/login\?next=/);
  await expect(page.getByRole('heading', { name: 'Log In' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Log out' })).toHaveCount(0);
  await page.getByLabel('Login').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}/employees\\?filter=admins$`));
  await ready(page);
  await expect(page.getByRole('link', { name: 'Administrators' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
});

test('the Invited list keeps who is still waiting; accepted ones move to Employees @phone', async ({ page, browser }) => {
  const slug = unique('invl');
  const email = `${slug}@example.com`;
  const [dee, eve] = [`dee-${email}`, `eve-${email}`];
  await createPortal(page, slug, email, password);
  await goTo(page, 'Employees');
  await invite(page, `${dee}, ${eve}`, 'Invitations sent: 2.');
  const link = await linkFromOutbox(page, 'Ann Lee invites you to Acme Ltd', dee);
  await open(page, `/p/${slug}/employees?filter=invited`);
  await expect(page.getByRole('button', { name: 'Notices', exact: true })).toBeVisible();

  // Dee accepts in a browser of her own, while Ann's page stays open.
  const other = await browser.newContext();
  const deePage = await other.newPage();
  await open(deePage, link);
  await deePage.getByLabel('First name').fill('Dee');
  await deePage.getByLabel('Last name').fill('Dunn');
  await deePage.getByLabel('Password').fill('blue-lantern-77');
  await deePage.getByRole('button', { name: 'Join' }).click();
  await expect(deePage).toHaveURL(new RegExp(`/p/${slug}$`));
  await other.close();

  // Ann's open page hears of it without a reload: the bell counts it.
  await page.getByRole('button', { name: 'Notices, 1 unread' }).click();
  await expect(page.getByRole('region', { name: 'Notices' }).getByRole('article', { name: 'Dee Dunn accepted your invitation' })).toBeVisible();
  await page.getByRole('button', { name: 'Mark as read: Dee Dunn accepted your invitation' }).click();
  await expect(page.getByRole('button', { name: 'Notices', exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Notices', exact: true }).click();
  const invitations = page.getByRole('table', { name: 'Invitations' });
  await expect(invitations.getByRole('row', { name: new RegExp(eve) })).toBeVisible();
  await expect(invitations.getByRole('row', { name: new RegExp(dee) })).toHaveCount(0);
  await expect(page.getByText('Page 1 of 1 (1 invitation)')).toBeVisible();
  await screen(page, `invited-waiting-${page.viewportSize()?.width}`);
  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'Accepted' }).click();
  await expect(invitations.getByRole('row', { name: new RegExp(dee) })).toContainText('accepted');
  await expect(invitations.getByRole('row', { name: new RegExp(eve) })).toHaveCount(0);
  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'All invitations' }).click();
  await page.getByRole('searchbox', { name: 'Find an invitation' }).fill('eve-');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(invitations.getByRole('row')).toHaveCount(2); // the header and Eve
  await expect(invitations).toContainText(eve);

  // Dee is under Employees now.
  await open(page, `/p/${slug}/employees`);
  await expect(page.getByRole('table').getByRole('link', { name: 'Dee Dunn' })).toBeVisible();
});

test('Resend after a downgrade sends the standard text and says so', async ({ page }) => {
  const slug = unique('dwn');
  const email = `${slug}@example.com`;
  const kay = `kay-${email}`;
  await createPortal(page, slug, email, password);
  operator('portal', 'set-plan', slug, 'standard');
  await open(page, `/p/${slug}/employees`);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const panel = page.getByRole('dialog', { name: 'Invite users' }).getByRole('tabpanel');
  await panel.getByLabel('E-mail addresses').fill(kay);
  await panel.getByLabel('Message text').fill('Come and plan the summer trip with us.');
  await panel.getByRole('button', { name: 'Invite' }).click();
  await expect(panel.getByRole('status')).toContainText('Invitations sent: 1.');

  operator('portal', 'set-plan', slug, 'free');
  await open(page, `/p/${slug}/employees?filter=invited`);
  await page.getByRole('button', { name: `Resend invitation to ${kay}` }).click();
  await expect(page.getByRole('status')).toHaveText(
    "Invitation sent again with the standard text: this portal's plan no longer allows its own message text.",
  );
  await openOutbox(page, kay);
  const messages = page.getByRole('article', { name: `Ann Lee invites you to Acme Ltd to ${kay}` });
  await expect(messages).toHaveCount(2);
  await expect(messages.first()).not.toContainText('summer trip');
  await expect(messages.first()).toContainText("Join us on Acme Ltd's Bitrix24");
});

test.describe('in Tokyo', () => {
  test.use({ timezoneId: 'Asia/Tokyo' });

  test('times show in the browser’s own zone, relative while recent', async ({ page }) => {
    const slug = unique('tz');
    const email = `${slug}@example.com`;
    await createPortal(page, slug, email, password, { confirm: false });
    // Sign-up's session had no zone yet: the page keeps the browser's and fetches again.
    await page.getByLabel('Write a post').fill('Good morning from Tokyo');
    await page.getByRole('button', { name: 'Publish' }).click();
    const post = page.getByRole('article').filter({ hasText: 'Good morning from Tokyo' });
    const time = post.locator('time');
    await expect(time).toHaveText(/just now|minute/);
    await expect(time).toHaveAttribute('title', /\(Asia\/Tokyo\)$/);
    // The zone came with the log-in too, so the first page after it is right.
    await logOut(page);
    await logIn(page, email, password);
    await ready(page);
    await expect(page.getByRole('article').filter({ hasText: 'Good morning from Tokyo' }).locator('time')).toHaveAttribute('title', /Asia\/Tokyo/);
  });
});

test('phone-sized screens: nothing overflows and the menu folds behind "Menu" @phone-only', async ({ page }) => {
  const slug = unique('phn');
  const email = `${slug}@example.com`;
  await createPortal(page, slug, email, password);
  const fits = async (where: string) => {
    const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    expect(scroll, `${where} is ${scroll} px wide on a ${width} px screen`).toBeLessThanOrEqual(width);
  };
  const menu = page.getByRole('button', { name: 'Menu' });
  const nav = page.getByRole('navigation', { name: 'Portal menu' });
  await expect(nav).toBeHidden();
  await expect(menu).toHaveAttribute('aria-expanded', 'false');
  await menu.click();
  await expect(menu).toHaveAttribute('aria-expanded', 'true');
  await expect(nav).toBeVisible();
  await screen(page, 'phone-menu-open');
  await nav.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await expect(nav).toBeHidden();
  for (const path of ['', '/employees', '/employees?filter=invited', '/structure', '/workgroups', '/mail', '/settings', '/chat']) {
    await open(page, `/p/${slug}${path}`);
    await fits(path || 'Activity Stream');
  }
  await open(page, `/p/${slug}/employees`);
  await page.getByRole('button', { name: 'Invite users' }).click();
  await fits('the invite dialog');
  await screen(page, 'phone-invite-dialog');
  for (const path of ['/network/profile', '/login', '/', '/forgot-password']) {
    await open(page, path);
    await fits(path);
  }
});

test('axe finds no serious or critical problem on the main screens', async ({ page }) => {
  const slug = unique('axe');
  const email = `${slug}@example.com`;
  await createPortal(page, slug, email, password);
  const screens = [
    `/p/${slug}`, `/p/${slug}/chat`, `/p/${slug}/employees`, `/p/${slug}/employees?filter=invited`, `/p/${slug}/structure`,
    `/p/${slug}/workgroups`, `/p/${slug}/mail`, `/p/${slug}/settings`, `/p/${slug}/people/1/edit`, '/network/profile', '/portals',
  ];
  const check = async (where: string) => {
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const bad = results.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(bad, where).toEqual([]);
  };
  for (const path of screens) {
    await open(page, path);
    await check(path);
  }
  await open(page, `/p/${slug}/employees`);
  await page.getByRole('button', { name: 'Invite users' }).click();
  await check('the invite dialog');
  await logOut(page);
  for (const path of ['/login', '/', '/forgot-password']) {
    await open(page, path);
    await check(path);
  }
});

/** The 6-digit code in the newest dev Outbox SMS with this title to `number`, read in a tab of its own. */
async function codeFromOutbox(page: Page, title: string, number: string): Promise<string> {
  const outbox = await page.context().newPage();
  await openOutbox(outbox, number);
  const text = (await outbox.getByRole('article', { name: `${title} to ${number}` }).first().locator('pre').textContent()) ?? '';
  await outbox.close();
  const code = text.match(/\b(\d{6})\b/)?.[1];
  expect(code, text).toBeTruthy();
  return code as string;
}

test('a phone login: the login becomes a number by SMS code, and a forgotten password comes back the same way @phone', async ({ page }) => {
  const slug = unique('tel');
  const email = `${slug}@example.com`;
  // 50 to 99: invitations.spec.ts draws 00 to 49, so the two never share a login; the
  // desktop run draws 50 to 74 and the phone run 75 to 99, so the two runs of this test
  // (one server, one outbox) never read each other's codes.
  const first = test.info().project.name === 'phone' ? 75 : 50;
  const last = String(first + Math.floor(Math.random() * 25));
  const e164 = `+141555501${last}`;
  await createPortal(page, slug, email, password, { confirm: false });

  await open(page, '/network/profile');
  await page.getByLabel('New login').fill(`+1 (415) 555-01${last}`);
  await page.locator('#login-change-password').fill(password);
  await page.getByRole('button', { name: 'Change login' }).click();
  await expect(page.getByRole('status')).toContainText(`We sent a 6-digit code by SMS to ${e164}`);
  const loginCode = await codeFromOutbox(page, 'Login change code', e164);
  await page.getByLabel('Code from the SMS').fill(loginCode);
  await page.getByRole('button', { name: 'Confirm new login' }).click();
  await expect(page.getByText(`Your login is now ${e164}.`)).toBeVisible();
  await screen(page, `phone-login-changed-${page.viewportSize()?.width}`);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/login$/);

  // "Forgot password?" with the number: a code by SMS, not an e-mail.
  await open(page, '/forgot-password');
  await page.getByLabel('Login').fill(`+1 415 555 01${last}`);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByRole('status')).toContainText('we have sent it a 6-digit code by SMS');
  const resetCode = await codeFromOutbox(page, 'Password reset code', e164);
  await page.getByLabel('Code from the SMS').fill(resetCode === '000000' ? '111111' : '000000');
  await page.getByLabel('New password').fill('green-meadow-19');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByText('This code is wrong or has expired. Ask for a new one.')).toBeVisible();
  await screen(page, `phone-reset-code-${page.viewportSize()?.width}`);
  // A new code on request; from then on only the newest one counts.
  await page.getByRole('button', { name: 'Send a new code' }).click();
  await expect(page.getByRole('status')).toContainText('we have sent it a 6-digit code by SMS');
  const newCode = await codeFromOutbox(page, 'Password reset code', e164);
  if (newCode !== resetCode) {
    await page.getByLabel('Code from the SMS').fill(resetCode);
    await page.getByLabel('New password').fill('green-meadow-19');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page.getByText('This code is wrong or has expired. Ask for a new one.')).toBeVisible();
  }
  await page.getByLabel('Code from the SMS').fill(newCode);
  await page.getByLabel('New password').fill('green-meadow-19');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page).toHaveURL(/\/login\?reset=done/);
  await logIn(page, `+1 415 555 01${last}`, 'green-meadow-19');
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
});

test('a join request arrives in the bell live and is approved from the notice @phone', async ({ page, browser }) => {
  const slug = unique('bell');
  const admin = `${slug}@example.com`;
  const kim = `kim-${admin}`;
  await createPortal(page, slug, admin, password);
  await open(page, `/p/${slug}/settings`);
  await page.getByLabel('Allow quick registration').check();
  await expect(page.getByRole('region', { name: 'Quick registration' }).getByLabel('Moderated')).toBeChecked();
  const saved = page.waitForResponse((r) => r.url().includes('/api/save_registration_settings') && r.ok());
  await page.getByRole('button', { name: 'Save registration settings' }).click();
  await saved;
  const link = await page.getByLabel('Registration link').first().inputValue();
  await open(page, `/p/${slug}`);
  await page.locator('body[data-live="connected"]').waitFor();
  await expect(page.getByRole('button', { name: 'Notices', exact: true })).toBeVisible();

  const other = await browser.newContext();
  const registrant = await other.newPage();
  await open(registrant, link);
  await registrant.getByLabel('E-mail').fill(kim);
  await registrant.getByLabel('First name').fill('Kim');
  await registrant.getByLabel('Last name').fill('Park');
  await registrant.getByLabel('Password').fill(password);
  await registrant.getByRole('button', { name: 'Register' }).click();
  await expect(registrant.getByRole('status')).toContainText('we sent a confirmation link');
  const confirm = await linkFromOutbox(registrant, 'Confirm your registration at Acme Ltd', kim);
  await open(registrant, confirm);
  await registrant.getByLabel('Password').fill(password);
  await registrant.getByRole('button', { name: 'Confirm e-mail address' }).click();
  await expect(registrant.getByRole('status')).toHaveText('Your registration is awaiting administrator approval.');

  // The admin's open page: the bell counts it without a reload.
  const bell = page.getByRole('button', { name: 'Notices, 1 unread' });
  await expect(bell).toBeVisible();
  await bell.click();
  const notice = page.getByRole('region', { name: 'Notices' }).getByRole('article', { name: 'Kim Park asks to join' });
  await expect(notice).toBeVisible();
  await screen(page, `bell-open-${page.viewportSize()?.width}`);
  await notice.getByRole('button', { name: 'Approve' }).click();
  await expect(notice.getByRole('button', { name: 'Approve' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Notices', exact: true })).toBeVisible();
  await logIn(registrant, kim, password);
  await expect(registrant).toHaveURL(new RegExp(`/p/${slug}$`));
  await other.close();
});
