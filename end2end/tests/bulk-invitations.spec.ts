import { expect, test } from '@playwright/test';
import { createPortal, goTo, linkFromOutbox, logOut, open, ready, screen, unique } from './helpers';

const password = 'violet-harbor-42';

test('an admin uploads a list, sees every row checked, and sends the ready ones; the invitee finds the form filled in @phone', async ({
  page,
}) => {
  const slug = unique('bulk');
  const email = `${slug}@example.com`;
  const dee = `dee-${email}`;
  const eve = `eve-${email}`;
  await createPortal(page, slug, email, password);
  await goTo(page, 'Company structure');
  await page.getByLabel('New sub-department').fill('Sales');
  await page.getByRole('button', { name: 'Add department' }).click();
  await expect(page.getByRole('figure', { name: 'Org chart' }).getByRole('link', { name: /Sales/ })).toBeVisible();

  await goTo(page, 'Employees');
  await page.getByRole('link', { name: 'Invite from a list' }).click();
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Invite from a list' })).toBeVisible();
  const csv = [
    'E-mail,First name,Last name,Department,Position',
    `${dee},Dee,Dunn,Sales,Analyst`,
    `${eve},Eve,Earl,,"Driver, nights"`,
    `${dee.toUpperCase()},Dee,Again,Sales,`,
    `${email},Ann,Lee,,`,
    'not-an-address,No,Body,,',
    `fay-${email},Fay,Fox,Marketing,`,
  ].join('\n');
  await page.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByLabel('Rows', { exact: true })).toHaveValue(/Driver, nights/);
  await page.getByRole('button', { name: 'Preview' }).click();

  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.getByRole('status')).toHaveText('6 rows: 2 ready, 4 not to be sent. Invitations left today: 100.');
  const row = (line: number) => preview.getByRole('row').filter({ has: page.getByRole('cell', { name: new RegExp(`^(Line: )?${line}$`) }) });
  await expect(row(2)).toContainText('Ready');
  await expect(row(2)).toContainText('Sales');
  await expect(row(3)).toContainText('Driver, nights');
  await expect(row(4)).toContainText('Duplicate in the list');
  await expect(row(4)).toContainText('The same as line 2.');
  await expect(row(5)).toContainText('Already a member');
  await expect(row(6)).toContainText('Bad address or number');
  await expect(row(7)).toContainText('No department is called Marketing.');
  await screen(page, `bulk-preview-${page.viewportSize()?.width}`);

  // An edit after the preview hides it: what is sent is always what was previewed.
  await page.getByLabel('Rows', { exact: true }).press('End');
  await page.getByLabel('Rows', { exact: true }).pressSequentially(' ');
  await expect(page.getByText('The list has changed: press Preview to check it again.')).toBeVisible();
  await expect(preview).toHaveCount(0);
  await page.getByRole('button', { name: 'Preview' }).click();

  await preview.getByRole('button', { name: 'Send 2 invitations' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Invitations sent: 2. Rows left out: 4.' })).toBeVisible();
  // The preview is asked again: the sent rows are invited now, and nothing is left to send.
  await expect(row(2)).toContainText('Already invited');
  await expect(preview.getByRole('button', { name: 'Send 0 invitations' })).toBeDisabled();

  // Dee opens her invitation: her name from the list is filled in.
  const link = await linkFromOutbox(page, 'Ann Lee invites you to Acme Ltd', dee);
  await open(page, `/p/${slug}`);
  await logOut(page);
  await open(page, link);
  await expect(page.getByLabel('First name')).toHaveValue('Dee');
  await expect(page.getByLabel('Last name')).toHaveValue('Dunn');
  await page.getByLabel('Password').fill('blue-lantern-77');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(page);
  // Her position and department came with the invitation.
  await goTo(page, 'Employees');
  await page.getByRole('table').getByRole('link', { name: 'Dee Dunn' }).click();
  await ready(page);
  await expect(page.getByText('Analyst')).toBeVisible();
  await expect(page.locator('.facts')).toContainText('Sales');
});
