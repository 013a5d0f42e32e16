import { expect, Page, test } from '@playwright/test';
import { createPortal, linkFromOutbox, open, screen, unique } from './helpers';

const password = 'violet-harbor-42';

/** Registers through a link in a fresh browser and confirms from the Outbox. */
async function joinThrough(page: Page, link: string, email: string, first: string, last: string) {
  await open(page, link);
  await expect(page.getByRole('heading', { name: 'Join Acme Ltd' })).toBeVisible();
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('First name').fill(first);
  await page.getByLabel('Last name').fill(last);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('status')).toContainText(`we sent a confirmation link to ${email}`);
  await open(page, await linkFromOutbox(page, 'Confirm your registration at Acme Ltd', email));
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Confirm e-mail address' }).click();
}

test('an admin makes an invite link with limits; it fills up, and a revoked one closes at once @phone', async ({ page, browser }) => {
  const slug = unique('links');
  const admin = `${slug}@example.com`;
  await createPortal(page, slug, admin, password);

  // A department for newcomers, then Settings > Invite links.
  await open(page, `/p/${slug}/structure`);
  await page.getByLabel('New sub-department').fill('Sales');
  await page.getByRole('button', { name: 'Add department' }).click();
  await expect(page.getByRole('figure', { name: 'Org chart' }).getByRole('link', { name: /Sales/ })).toBeVisible();
  await open(page, `/p/${slug}/settings`);
  const panel = page.getByRole('region', { name: 'Invite links' });
  await expect(panel).toContainText('No invite links yet.');

  // A bad field is named next to it, and nothing is made.
  await panel.getByLabel('Link name').fill('Sales fair');
  await panel.getByLabel('Maximum uses').fill('0');
  await panel.getByRole('button', { name: 'Create link' }).click();
  await expect(panel.getByText('Enter a whole number from 1 to 100000, or leave it empty.')).toBeVisible();
  await panel.getByLabel('Maximum uses').fill('1');
  await panel.getByLabel('Department').selectOption({ label: 'Sales' });
  await panel.getByLabel('Public').check();
  await panel.getByRole('button', { name: 'Create link' }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Link created.' })).toBeVisible();
  await panel.getByLabel('Link name').fill('Partners');
  await panel.getByRole('button', { name: 'Create link' }).click();
  const links = panel.getByRole('table', { name: 'Invite links' });
  const fair = links.getByRole('row', { name: /Sales fair/ });
  const partners = links.getByRole('row', { name: /Partners/ });
  await expect(fair).toContainText('0 of 1');
  // The Department cell itself (the row's name holds "Sales" already).
  await expect(fair.locator('td[data-label="Department"]')).toHaveText('Sales');
  await expect(fair).toContainText('Public');
  await expect(fair).toContainText('Open');
  await expect(partners).toContainText('Moderated');
  await expect(partners).toContainText('Never');
  await screen(page, `invite-links-${page.viewportSize()?.width}`);

  // Lea joins through the fair's link, into Sales; the count follows live.
  const fairLink = await fair.getByLabel('Link Sales fair', { exact: true }).inputValue();
  await fair.getByRole('button', { name: 'Copy the link Sales fair' }).click();
  await expect(fair.getByRole('status')).toHaveText('Copied.');
  const lea = await (await browser.newContext()).newPage();
  await joinThrough(lea, fairLink, `lea-${admin}`, 'Lea', 'Stone');
  await expect(lea.getByRole('heading', { name: 'You have joined Acme Ltd' })).toBeVisible();
  await expect(fair).toContainText('1 of 1');
  await expect(fair).toContainText('Used up');

  // The next visitor finds it closed.
  const max = await (await browser.newContext()).newPage();
  await open(max, fairLink);
  await expect(max.getByRole('heading', { name: 'Registration is closed' })).toBeVisible();

  // Revoking the partners' link closes its open page at once.
  const partnersLink = await partners.getByLabel('Link Partners', { exact: true }).inputValue();
  await open(max, partnersLink);
  await expect(max.getByRole('heading', { name: 'Join Acme Ltd' })).toBeVisible();
  await max.locator('body[data-live="connected"]').waitFor();
  await partners.getByRole('button', { name: 'Revoke the link Partners' }).click();
  await expect(partners).toContainText('Revoked');
  await expect(partners.getByRole('button')).toHaveCount(0);
  await expect(max.getByRole('heading', { name: 'Registration is closed' })).toBeVisible({ timeout: 2000 });

  // Lea is an employee of Sales.
  await open(page, `/p/${slug}/employees`);
  await expect(page.getByRole('row', { name: /Lea Stone/ })).toContainText('Sales');
});
