import { expect, test } from '@playwright/test';
import { addColleague, createPortal, logIn, open, ready, screen, unique } from './helpers';

const password = 'violet-harbor-42';

/** Picks the option whose text (indented by depth) contains `text`. */
async function choose(select: import('@playwright/test').Locator, text: string) {
  const value = await select.locator('option', { hasText: text }).getAttribute('value');
  await select.selectOption(value ?? '');
}

/** Waits until the page's live event stream is connected. */
async function live(page: import('@playwright/test').Page) {
  await page.locator('body[data-live="connected"]').waitFor();
}

test('admin builds the company structure, moves a person and sees the org chart', async ({ page }) => {
  const slug = unique('org');
  const email = `${slug}@example.com`;
  await createPortal(page, slug, email, password);
  addColleague(slug, `bo-${email}`, 'Bo', 'Berg', email);

  await page.getByRole('link', { name: 'Company structure' }).click();
  await expect(page.getByRole('heading', { name: 'Company structure' })).toBeVisible();
  const chart = page.getByRole('figure', { name: 'Org chart' });
  await expect(chart.getByRole('link', { name: /Acme Ltd/ })).toContainText('2 people');

  // Departments under the top one, and one under those.
  for (const name of ['Sales', 'Engineering']) {
    await page.getByLabel('New sub-department').fill(name);
    await page.getByRole('button', { name: 'Add department' }).click();
    await expect(chart.getByRole('link', { name: new RegExp(name) })).toBeVisible();
  }
  await page.getByLabel('New sub-department').fill('  ');
  await page.getByRole('button', { name: 'Add department' }).click();
  await expect(page.getByText('Enter the department name.')).toBeVisible();
  await chart.getByRole('link', { name: /Sales/ }).click();
  await expect(page.getByRole('heading', { name: 'Department: Sales' })).toBeVisible();
  await ready(page);
  await page.getByLabel('New sub-department').fill('North');
  await page.getByRole('button', { name: 'Add department' }).click();
  await expect(chart.getByRole('link', { name: /North/ })).toBeVisible();

  // A department cannot move under its own sub-department.
  await page.getByLabel('Move under').selectOption({ label: 'North' });
  await page.getByRole('button', { name: 'Move department' }).click();
  await expect(page.getByText('A department cannot be moved under itself')).toBeVisible();

  // Move Bo into Sales from his profile.
  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await page.getByRole('link', { name: 'Bo Berg' }).click();
  await expect(page.getByRole('heading', { name: 'Bo Berg' })).toBeVisible();
  await ready(page);
  await choose(page.getByLabel('Move to department'), 'Sales');
  await page.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('status')).toHaveText('Moved.');
  await expect(page.locator('.facts')).toContainText('Sales');

  // The chart shows him there; he becomes the head.
  await page.getByRole('link', { name: 'Company structure' }).click();
  await ready(page);
  await chart.getByRole('link', { name: /Sales/ }).click();
  await expect(chart.getByRole('link', { name: /Sales/ })).toContainText('1 person');
  const panel = page.getByRole('region', { name: 'Department: Sales' });
  await expect(panel.getByRole('link', { name: 'Bo Berg' })).toBeVisible();
  await ready(page);
  await page.getByLabel('Head of department').selectOption({ label: 'Bo Berg' });
  await page.getByRole('button', { name: 'Set head' }).click();
  await expect(chart.getByRole('link', { name: /Sales/ })).toContainText('Head: Bo Berg');
  await screen(page, '20-org-chart');

  // Search on the Employees page.
  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await page.getByLabel('Search', { exact: true }).fill('berg');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('row')).toHaveCount(2);
  await expect(page.getByRole('row', { name: /Bo Berg/ })).toContainText('Sales');
  await screen(page, '21-employees-search');

  // Workgroups: create one, add Bo, and his profile lists it.
  await page.getByRole('link', { name: 'Workgroups' }).click();
  await ready(page);
  await page.getByLabel('Group name').fill('Hiking');
  await page.getByLabel('Description').fill('Weekend walks');
  await page.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('link', { name: 'Hiking' }).click();
  await ready(page);
  await page.getByLabel('Find an employee').fill('Berg');
  await page.getByRole('button', { name: 'Add Bo Berg' }).click();
  await expect(page.getByRole('button', { name: 'Remove Bo Berg' })).toBeVisible();
  await screen(page, '22-workgroup');
  await page.getByRole('link', { name: 'Bo Berg' }).click();
  await expect(page.getByRole('region', { name: 'Workgroups' }).getByRole('link', { name: 'Hiking' })).toBeVisible();
});

test('dismissing logs the person out at once; hiring lets them back in', async ({ browser }) => {
  const slug = unique('hr');
  const email = `${slug}@example.com`;
  const boEmail = `bo-${email}`;
  const admin = await (await browser.newContext()).newPage();
  await createPortal(admin, slug, email, password);
  addColleague(slug, boEmail, 'Bo', 'Berg', email);

  const bo = await (await browser.newContext()).newPage();
  await logIn(bo, boEmail, password);
  await expect(bo).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(bo);
  await live(bo);
  await expect(bo.getByText('You are an employee of this portal.')).toBeVisible();
  // No Settings for employees.
  await expect(bo.getByRole('link', { name: 'Settings' })).toHaveCount(0);

  await open(admin, `/p/${slug}/employees`);
  await admin.getByRole('link', { name: 'Bo Berg' }).click();
  await ready(admin);
  await admin.getByRole('button', { name: 'Dismiss' }).click();
  await expect(admin.getByText('Dismissed: cannot log in to this portal.')).toBeVisible();
  await screen(admin, '23-dismissed-profile');

  // Bo's open page loses access without a reload: it goes to the log-in page.
  await expect(bo).toHaveURL(/\/login\?next=/);
  await expect(bo.getByRole('heading', { name: 'Log In' })).toBeVisible();
  await logIn(bo, boEmail, password);
  await expect(bo.getByRole('alert')).toHaveText('Your access to this Bitrix24 has been closed by an administrator.');

  await open(admin, `/p/${slug}/employees?filter=dismissed`);
  await expect(admin.getByRole('link', { name: 'Dismissed' })).toHaveAttribute('aria-current', 'page');
  await admin.getByRole('link', { name: 'Bo Berg' }).click();
  await ready(admin);
  await admin.getByRole('button', { name: 'Hire' }).click();
  await expect(admin.getByRole('button', { name: 'Dismiss' })).toBeVisible();

  await logIn(bo, boEmail, password);
  await expect(bo).toHaveURL(new RegExp(`/p/${slug}$`));

  // The last administrator is protected.
  await admin.getByRole('link', { name: 'Ann Lee' }).click();
  await ready(admin);
  await admin.getByRole('button', { name: 'Dismiss' }).click();
  await expect(admin.getByRole('alert')).toContainText('This is the last active administrator of the portal.');

  // The audit log tells the story.
  await admin.getByRole('link', { name: 'Settings' }).click();
  const audit = admin.getByRole('region', { name: 'Audit log' });
  await expect(audit.getByRole('row', { name: /dismissed Bo Berg/ })).toBeVisible();
  await expect(audit.getByRole('row', { name: /hired again Bo Berg/ })).toBeVisible();
  await screen(admin, '24-audit-log');
});

test('posts and chat messages appear on other open pages without reload', async ({ browser }) => {
  const slug = unique('live');
  const email = `${slug}@example.com`;
  const boEmail = `bo-${email}`;
  const ann = await (await browser.newContext()).newPage();
  await createPortal(ann, slug, email, password);
  addColleague(slug, boEmail, 'Bo', 'Berg', email);
  await live(ann);
  const bo = await (await browser.newContext()).newPage();
  await logIn(bo, boEmail, password);
  await expect(bo).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(bo);
  await live(bo);

  await bo.getByLabel('Write a post').fill('Hello from Bo <b>not bold</b>');
  await bo.getByRole('button', { name: 'Publish' }).click();
  await expect(bo.getByLabel('Write a post')).toHaveValue('');
  const onAnnsPage = ann.getByRole('article', { name: 'Post by Bo Berg' });
  await expect(onAnnsPage).toContainText('Hello from Bo <b>not bold</b>');
  await screen(ann, '25-activity-stream-live');
  // Empty posts are refused beside the field.
  await bo.getByRole('button', { name: 'Publish' }).click();
  await expect(bo.getByText('Write something first.')).toBeVisible();

  await ann.getByRole('link', { name: 'Chat' }).click();
  await bo.getByRole('link', { name: 'Chat' }).click();
  await expect(ann.getByRole('heading', { name: 'General chat' })).toBeVisible();
  await expect(bo.getByRole('heading', { name: 'General chat' })).toBeVisible();
  await ready(bo);
  await bo.getByLabel('Message', { exact: true }).fill('Anyone for lunch?');
  await bo.getByRole('button', { name: 'Send' }).click();
  await expect(ann.getByRole('article', { name: 'Message from Bo Berg' })).toContainText('Anyone for lunch?');
  await ann.getByLabel('Message', { exact: true }).fill('Yes!');
  await ann.getByRole('button', { name: 'Send' }).click();
  await expect(bo.getByRole('article', { name: 'Message from Ann Lee' })).toContainText('Yes!');
  await screen(bo, '26-general-chat-live');
});
