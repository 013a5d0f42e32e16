import { expect, test } from '@playwright/test';
import { addColleague, createPortal, open, ready, screen, unique } from './helpers';

const password = 'violet-harbor-42';

/** The real IMAP server scripts/test starts on loopback (dovecot). */
function testImap() {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the suite with scripts/test, which starts the test IMAP server`);
    return value;
  };
  return {
    host: env('IMAP_TEST_HOST'),
    tlsPort: env('IMAP_TEST_TLS_PORT'),
    user: env('IMAP_TEST_USER'),
    password: env('IMAP_TEST_PASSWORD'),
  };
}

test("an admin sees the employee's login in the editor but cannot change it", async ({ page }) => {
  const slug = unique('prof');
  const email = `${slug}@example.com`;
  const bo = `bo-${email}`;
  await createPortal(page, slug, email, password);
  addColleague(slug, bo, 'Bo', 'Berg', email);

  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await page.getByRole('link', { name: 'Bo Berg' }).click();
  await expect(page.getByRole('heading', { name: 'Bo Berg' })).toBeVisible();
  await page.getByRole('link', { name: 'Edit profile' }).click();
  await expect(page.getByRole('heading', { name: 'Edit profile: Bo Berg' })).toBeVisible();
  await ready(page);

  const loginLine = page.getByRole('region', { name: 'Login' });
  await expect(loginLine).toHaveText(
    `Edit user authentication data in the user's Bitrix24.Network profile. This employee is using this profile: ${bo}`,
  );
  // No field edits the login, and the admin cannot rename Bo either.
  await expect(page.getByRole('textbox', { name: /login/i })).toHaveCount(0);
  await expect(page.getByLabel('First name')).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Change login' })).toHaveCount(0);
  await expect(page.getByLabel('E-Mail for mailbox')).toHaveValue('No mailbox connected');
  await expect(page.getByLabel('E-Mail for mailbox')).not.toBeEditable();
  await screen(page, 'profile-editor-admin');

  // The contact email may not be someone else's login.
  await page.getByLabel('Contact email').fill(email.toUpperCase());
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#field-contact_email-error')).toHaveText('A user with this email already exists');

  await page.getByLabel('Contact email').fill(`bo.work-${email}`);
  await page.getByLabel('Position').fill('Driver');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  await page.getByRole('link', { name: 'Back to profile' }).click();
  await expect(page.locator('.facts')).toContainText(`bo.work-${email}`);
  await expect(page.getByText('Driver', { exact: true })).toBeVisible();
  // The login is still the login.
  await page.getByRole('link', { name: 'Edit profile' }).click();
  await expect(page.getByRole('region', { name: 'Login' })).toContainText(`This employee is using this profile: ${bo}`);
});

test('the owner edits the contact email, connects a mailbox and disconnects it', async ({ page }) => {
  const imap = testImap();
  const slug = unique('mail');
  const email = `${slug}@example.com`;
  const mailbox = `${imap.user}@mail.${slug}.test`;
  await createPortal(page, slug, email, password);

  // Her own editor: the login with a way to the Network profile, her name editable.
  await page.getByRole('link', { name: 'Ann Lee' }).click();
  await expect(page.getByRole('heading', { name: 'Ann Lee' })).toBeVisible();
  await page.getByRole('link', { name: 'Edit profile' }).click();
  await ready(page);
  await expect(page.getByRole('region', { name: 'Login' })).toContainText(`Your login: ${email}`);
  await expect(page.getByRole('link', { name: 'Change login' })).toHaveAttribute('href', '/network/profile');
  await page.getByLabel('Contact email').fill('not an address');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#field-contact_email-error')).toContainText('valid email address');
  await page.getByLabel('Contact email').fill(`ann.contact-${email}`);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  await screen(page, 'profile-editor-owner');

  // Webmail: a wrong password is refused beside the field, and nothing is saved.
  await page.getByRole('link', { name: 'Webmail' }).first().click();
  await expect(page.getByRole('heading', { name: 'Webmail' })).toBeVisible();
  await ready(page);
  await expect(page.getByText('No mailbox connected.')).toBeVisible();
  await page.getByLabel('Mailbox address').fill(mailbox);
  await page.getByLabel('IMAP server').fill(imap.host);
  await page.getByLabel('Security').selectOption({ label: 'SSL/TLS' });
  await page.getByLabel('Port', { exact: true }).fill(imap.tlsPort);
  await page.getByLabel('User name').fill(imap.user);
  await page.getByLabel('Password', { exact: true }).fill('wrong-password');
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('#field-password-error')).toHaveText('The mail server refused this user name or password.');
  await screen(page, 'webmail-refused');

  await page.getByLabel('Password', { exact: true }).fill(imap.password);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('heading', { name: 'Connected mailbox' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('INBOX: 1 message');
  await expect(page.locator('.facts')).toContainText(mailbox);
  await screen(page, 'webmail-connected');

  // The profile shows the mailbox address in "E-Mail for mailbox", apart from the login.
  await page.getByRole('link', { name: 'Ann Lee' }).click();
  await expect(page.locator('.facts')).toContainText(mailbox);
  await page.getByRole('link', { name: 'Edit profile' }).click();
  await ready(page);
  await expect(page.getByLabel('E-Mail for mailbox')).toHaveValue(mailbox);
  await expect(page.getByRole('region', { name: 'Login' })).toContainText(`Your login: ${email}`);
  await expect(page.getByLabel('Contact email')).toHaveValue(`ann.contact-${email}`);

  await page.getByRole('link', { name: 'Manage in Webmail' }).click();
  await ready(page);
  await page.getByRole('button', { name: 'Disconnect' }).click();
  await expect(page.getByText('No mailbox connected.')).toBeVisible();
  await open(page, `/p/${slug}/people/${await myId(page)}/edit`);
  await expect(page.getByLabel('E-Mail for mailbox')).toHaveValue('No mailbox connected');
});

/** The logged-in person's account id, from the top bar's link to their profile. */
async function myId(page: import('@playwright/test').Page): Promise<string> {
  const href = await page.getByRole('link', { name: 'Ann Lee' }).getAttribute('href');
  return (href ?? '').split('/').pop() ?? '';
}

test('Manage Email Accounts: an admin connects an employee’s mailbox and disconnects it @phone', async ({ page }) => {
  const imap = testImap();
  const slug = unique('mea');
  const email = `${slug}@example.com`;
  const bo = `bo-${email}`;
  const mailbox = `${imap.user}@bo.${slug}.test`;
  await createPortal(page, slug, email, password);
  addColleague(slug, bo, 'Bo', 'Berg', email);

  await open(page, `/p/${slug}/mail`);
  await page.getByRole('link', { name: 'Manage Email Accounts' }).click();
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Manage Email Accounts', level: 1 })).toBeVisible();
  await expect(page.getByText('No employee has connected a mailbox yet.')).toBeVisible();
  await page.getByLabel("Employee's login").fill(`nobody-${email}`);
  await page.getByLabel('Mailbox address').fill(mailbox);
  await page.getByLabel('IMAP server').fill(imap.host);
  await page.getByLabel('Security').selectOption({ label: 'SSL/TLS' });
  await page.getByLabel('Port', { exact: true }).fill(imap.tlsPort);
  await page.getByLabel('User name').fill(imap.user);
  await page.getByLabel('Password', { exact: true }).fill(imap.password);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('#field-employee-error')).toHaveText('No employee of this portal logs in with this.');
  await page.getByLabel("Employee's login").fill(bo);
  await page.getByRole('button', { name: 'Connect' }).click();
  await expect(page.getByRole('status')).toHaveText('Connected. INBOX: 1 message.');
  const table = page.getByRole('table', { name: 'Connected mailboxes' });
  const row = table.getByRole('row', { name: /Bo Berg/ });
  await expect(row).toContainText(mailbox);
  await expect(row).toContainText('(SSL/TLS)');
  await expect(row).toContainText('just now');
  await screen(page, `manage-email-accounts-${page.viewportSize()?.width}`);

  // Bo's profile shows it as "E-Mail for mailbox".
  await row.getByRole('link', { name: 'Bo Berg' }).click();
  await ready(page);
  await expect(page.locator('.facts')).toContainText('E-Mail for mailbox');
  await expect(page.locator('.facts')).toContainText(mailbox);

  await open(page, `/p/${slug}/mail/accounts`);
  await page.getByRole('button', { name: 'Disconnect the mailbox of Bo Berg' }).click();
  await expect(page.getByText('No employee has connected a mailbox yet.')).toBeVisible();
});
