import { expect, test } from '@playwright/test';
import { addColleague, createPortal, linkFromOutbox, logIn, open, ready, screen, shownAt, unique, watchForButton } from './helpers';

const password = 'violet-harbor-42';

test('"Allow everyone to invite" shows "Invite users" on an open employee page, live', async ({ page, browser }) => {
  const slug = unique('all');
  const admin = `${slug}@example.com`;
  const bo = `bo-${admin}`;
  await createPortal(page, slug, admin, password);
  addColleague(slug, bo, 'Bo', 'Berg', admin);

  // The employee's Activity Stream, in another browser.
  const employeeContext = await browser.newContext();
  const employee = await employeeContext.newPage();
  await logIn(employee, bo, password);
  await expect(employee).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(employee);
  await employee.locator('body[data-live="connected"]').waitFor();
  const inviteButton = employee.getByRole('button', { name: 'Invite users' });
  await expect(inviteButton).toHaveCount(0);
  // A half-written post must survive the live refresh.
  await employee.getByLabel('Write a post').fill('Half-written thoughts');
  // Notes the moment the button appears, on the page's own clock (the same machine's).
  await watchForButton(employee, 'Invite users');

  // The admin allows everyone to invite, in Settings.
  await open(page, `/p/${slug}/settings`);
  const rule = page.getByLabel('Allow everyone to invite new users to this Bitrix24 account');
  await expect(rule).not.toBeChecked();
  await rule.check();
  const clickedAt = Date.now();
  await page.getByRole('button', { name: 'Save invitation rule' }).click();
  await expect(inviteButton).toBeVisible({ timeout: 1000 });
  const delay = (await shownAt(employee)) - clickedAt;
  console.log(`live: "Invite users" appeared on the employee's page ${delay} ms after the admin clicked Save (target <= 250 ms)`);
  expect(delay).toBeLessThanOrEqual(1000);
  await expect(employee.getByLabel('Write a post')).toHaveValue('Half-written thoughts');
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await screen(page, 'settings-registration');

  // The employee's dialog: the link tab and the e-mail tab, their own department only.
  await inviteButton.click();
  const dialog = employee.getByRole('dialog', { name: 'Invite users' });
  await expect(dialog.getByRole('tab', { name: 'Register' })).toHaveCount(0);
  await dialog.getByRole('tab', { name: 'Quick registration' }).click();
  await expect(dialog.getByRole('tabpanel')).toContainText('Quick registration is switched off.');
  await expect(dialog.getByRole('tabpanel').getByRole('button', { name: 'Save registration settings' })).toHaveCount(0);
  // The admin switches quick registration on as Public: the open dialog follows.
  await page.getByLabel('Allow quick registration').check();
  await page.getByRole('region', { name: 'Quick registration' }).getByLabel('Public').check();
  await page.getByRole('button', { name: 'Save registration settings' }).click();
  await expect(dialog.getByRole('tabpanel').getByLabel('Registration type')).toContainText('Public', { timeout: 1000 });
  await expect(dialog.getByRole('tabpanel').getByLabel('Registration link')).toHaveValue(/\/join\//);
  await dialog.getByRole('tab', { name: 'Invite using e-mail' }).click();
  await expect(dialog.getByRole('tabpanel').getByLabel('Department').locator('option')).toHaveCount(1);
  await dialog.getByLabel('E-mail addresses').fill(`cy-${admin}`);
  await dialog.getByRole('button', { name: 'Invite' }).click();
  await expect(dialog.getByRole('status')).toContainText('Invitations sent: 1.');

  // Switched off again: the button goes away without a reload.
  await page.getByLabel('Allow everyone to invite new users to this Bitrix24 account').uncheck();
  await page.getByRole('button', { name: 'Save invitation rule' }).click();
  await expect(inviteButton).toHaveCount(0, { timeout: 1000 });
  await employeeContext.close();
});

test('a registrant uses the quick registration link in Moderated mode and is approved', async ({ page, browser }) => {
  const slug = unique('reg');
  const admin = `${slug}@example.com`;
  const kim = `kim-${admin}`;
  await createPortal(page, slug, admin, password);

  // The admin switches quick registration on from the invite dialog.
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByRole('tab', { name: 'Quick registration' }).click();
  const tab = dialog.getByRole('tabpanel');
  await expect(tab).toContainText('Quick registration is switched off. Switch it on below.');
  await tab.getByLabel('Allow quick registration').check();
  await expect(tab.getByLabel('Moderated')).toBeChecked();
  await tab.getByLabel('Registration greeting text').fill('Welcome to <b>Acme</b>!');
  await tab.getByLabel("Don't require confirmation for domains").fill('not a domain');
  await tab.getByRole('button', { name: 'Save registration settings' }).click();
  await expect(tab.getByText('is not a domain name')).toBeVisible();
  await tab.getByLabel("Don't require confirmation for domains").fill('trusted.example.org');
  await tab.getByRole('button', { name: 'Save registration settings' }).click();
  await expect(tab.getByRole('status').filter({ hasText: 'Registration settings saved.' })).toBeVisible();
  // The tab now offers the link with "Copy", and says what the type means.
  const linkField = tab.getByLabel('Registration link').first();
  await expect(linkField).toHaveValue(/\/join\//);
  await tab.getByRole('button', { name: 'Copy' }).click();
  await expect(tab.getByRole('status').filter({ hasText: 'Link copied.' })).toBeVisible();
  await expect(tab.getByLabel('Registration type')).toContainText('Moderated');
  const link = await linkField.inputValue();

  // The rule preview.
  await tab.getByLabel('Address to check').fill('someone@elsewhere.example.org');
  await tab.getByRole('button', { name: 'Check' }).click();
  await expect(tab.getByRole('status', { name: 'Check result' })).toHaveText('Would await administrator approval.');
  await tab.getByLabel('Address to check').fill('pat@trusted.example.org');
  await tab.getByRole('button', { name: 'Check' }).click();
  await expect(tab.getByRole('status', { name: 'Check result' })).toHaveText('Would be active at once.');
  await screen(page, 'quick-registration-tab');

  // The registrant, in another browser: the page shows the greeting as text.
  const registrantContext = await browser.newContext();
  const registrant = await registrantContext.newPage();
  await open(registrant, link);
  await expect(registrant.getByRole('heading', { name: 'Join Acme Ltd' })).toBeVisible();
  await expect(registrant.getByLabel('Greeting')).toHaveText('Welcome to <b>Acme</b>!');
  await registrant.locator('body[data-live="connected"]').waitFor();
  await registrant.getByLabel('E-mail').fill(admin);
  await registrant.getByLabel('First name').fill('Kim');
  await registrant.getByLabel('Last name').fill('Park');
  await registrant.getByLabel('Password').fill(password);
  await registrant.getByRole('button', { name: 'Register' }).click();
  await expect(registrant.getByText('A user with this email already exists')).toBeVisible();
  await registrant.getByLabel('E-mail').fill(kim);
  await registrant.getByRole('button', { name: 'Register' }).click();
  await expect(registrant.getByRole('status')).toContainText(`we sent a confirmation link to ${kim}`);
  await screen(registrant, 'quick-registration-page');

  // The greeting changes while the page is open: it follows without a reload.
  await tab.getByLabel('Registration greeting text').fill('Hello from Acme');
  await tab.getByRole('button', { name: 'Save registration settings' }).click();
  await expect(registrant.getByLabel('Greeting')).toHaveText('Hello from Acme', { timeout: 1000 });

  // Confirmed from the Outbox: told to wait, and so is every log-in attempt.
  const confirm = await linkFromOutbox(registrant, 'Confirm your registration at Acme Ltd', kim);
  await open(registrant, confirm);
  await registrant.getByLabel('Password').fill('not-the-chosen-one');
  await registrant.getByRole('button', { name: 'Confirm e-mail address' }).click();
  await expect(registrant.getByText('This is not the password chosen at registration.')).toBeVisible();
  await registrant.getByLabel('Password').fill(password);
  await registrant.getByRole('button', { name: 'Confirm e-mail address' }).click();
  await expect(registrant.getByRole('status')).toHaveText('Your registration is awaiting administrator approval.');
  await logIn(registrant, kim, password);
  await expect(registrant.getByText('Your registration is awaiting administrator approval.')).toBeVisible();

  // The admin approves from Employees > Pending confirmation.
  await open(page, `/p/${slug}/employees`);
  await expect(page.getByRole('link', { name: /Pending confirmation/ }).getByLabel('1 awaiting approval')).toBeVisible();
  await page.getByRole('link', { name: /Pending confirmation/ }).click();
  const row = page.getByRole('row', { name: /Kim Park/ });
  await expect(row).toBeVisible();
  await screen(page, 'pending-confirmation');
  await row.getByRole('button', { name: 'Approve' }).click();
  await expect(row).toHaveCount(0);

  // Now Kim logs in, and the Activity Stream announces them.
  await logIn(registrant, kim, password);
  await expect(registrant).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(registrant);
  await expect(registrant.getByText('Kim Park joined the portal')).toBeVisible();

  // Regenerating the link: an open page of the old link switches off, and so does a fresh visit.
  const oldLinkPage = await registrantContext.newPage();
  await open(oldLinkPage, link);
  await oldLinkPage.locator('body[data-live="connected"]').waitFor();
  await open(page, `/p/${slug}/settings`);
  await page.getByRole('button', { name: 'Regenerate link' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'New link made.' })).toBeVisible();
  await expect(oldLinkPage.getByRole('heading', { name: 'Registration is closed' })).toBeVisible({ timeout: 1000 });
  await open(registrant, link);
  await expect(registrant.getByRole('heading', { name: 'Registration is closed' })).toBeVisible();
  await expect(registrant.getByText('This registration link is switched off.')).toBeVisible();
  await screen(registrant, 'registration-closed');
  await registrantContext.close();
});
