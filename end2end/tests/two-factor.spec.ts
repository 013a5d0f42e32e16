import { expect, Page, test } from '@playwright/test';
import { addColleague, appCode, createPortal, goTo, logIn, logOut, open, ready, screen, unique } from './helpers';

const password = 'amber-lantern-77';

/**
 * Sets up two-factor log-in in the network profile, typing the code Playwright computes
 * from the key shown under the QR code. Answers the key and the recovery codes shown.
 */
async function setUpTwoFactor(page: Page, shots?: string): Promise<{ key: string; codes: string[] }> {
  await open(page, '/network/profile');
  const section = page.getByRole('region', { name: 'Two-factor log-in' });
  await expect(section).toContainText('Off.');
  await section.getByRole('button', { name: 'Set up two-factor log-in' }).click();
  await expect(section.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const key = (await section.getByTestId('two-factor-key').textContent()) ?? '';
  expect(key).toMatch(/^[A-Z2-7]{4}( [A-Z2-7]{4}){7}$/);
  if (shots) await screen(page, `${shots}-setup-${page.viewportSize()?.width}`);

  // A wrong code first: the message stands next to the field, and nothing is turned on.
  await section.getByLabel('Code from the app', { exact: true }).fill('000000');
  await section.getByLabel('Current password').fill(password);
  await section.getByRole('button', { name: 'Turn on two-factor log-in' }).click();
  await expect(section.getByText('This code is not right. Enter the newest 6-digit code from your app.')).toBeVisible();

  await section.getByLabel('Code from the app', { exact: true }).fill(appCode(key));
  await section.getByLabel('Current password').fill(password);
  await section.getByRole('button', { name: 'Turn on two-factor log-in' }).click();
  const list = section.getByRole('list', { name: 'Recovery codes' });
  await expect(list.getByRole('listitem')).toHaveCount(10);
  await expect(section).toContainText('Recovery codes left: 10.');
  if (shots) await screen(page, `${shots}-codes-${page.viewportSize()?.width}`);
  const codes = (await list.getByRole('listitem').allTextContents()).map((code) => code.trim());
  return { key, codes };
}

test('two-factor log-in: set up with the shown key, log in with an app code, then with a recovery code @phone', async ({ page }) => {
  const slug = unique('tfa');
  const email = `${slug}@example.com`;
  await createPortal(page, slug, email, password, { confirm: false });
  const { key, codes } = await setUpTwoFactor(page, 'two-factor');
  expect(new Set(codes).size).toBe(10);

  // Log in again: after the password, the code.
  await logOut(page);
  await logIn(page, email, password);
  await expect(page).toHaveURL(/\/login\/code$/);
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Two-factor log-in' })).toBeVisible();
  await page.getByLabel('Code', { exact: true }).fill('123 456');
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page.getByText('This code is not right.')).toBeVisible();
  await screen(page, `two-factor-code-${page.viewportSize()?.width}`);
  // The set-up used the current step's code; the app's next one is accepted as well.
  await page.getByLabel('Code', { exact: true }).fill(appCode(key, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));

  // A lost phone: a recovery code logs in once.
  await open(page, `/p/${slug}`);
  await logOut(page);
  await logIn(page, email, password);
  await expect(page).toHaveURL(/\/login\/code$/);
  await ready(page);
  await page.getByLabel('Code', { exact: true }).fill(codes[0]);
  await page.getByRole('button', { name: 'Log In' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await open(page, '/network/profile');
  const section = page.getByRole('region', { name: 'Two-factor log-in' });
  await expect(section).toContainText('Recovery codes left: 9.');

  // The same recovery code does not work twice; another one turns two-factor log-in off.
  await section.getByLabel('Code from the app, or a recovery code').fill(codes[0]);
  await section.getByRole('button', { name: 'Turn off two-factor log-in' }).click();
  await expect(section.getByText('This code is not right.')).toBeVisible();
  await section.getByLabel('Code from the app, or a recovery code').fill(codes[1]);
  await section.getByRole('button', { name: 'Turn off two-factor log-in' }).click();
  await expect(section.getByRole('status')).toContainText('Two-factor log-in is off.');
  await logOut(page);
  await logIn(page, email, password);
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
});

test('a portal can require two-factor log-in for administrators, and an administrator resets it for a colleague', async ({
  page,
  browser,
}) => {
  const slug = unique('tfr');
  const ann = `${slug}@example.com`;
  const bo = `bo-${slug}@example.com`;
  await createPortal(page, slug, ann, password, { confirm: false });
  addColleague(slug, bo, 'Bo', 'Berg', ann, 'admin');

  // The rule needs Ann to use two-factor log-in herself first.
  await open(page, `/p/${slug}/settings`);
  const security = page.getByRole('region', { name: 'Security' });
  await security.getByLabel('Require two-factor log-in for administrators').check();
  await security.getByRole('button', { name: 'Save security rule' }).click();
  await expect(security.getByText('Turn on two-factor log-in for yourself first')).toBeVisible();
  await setUpTwoFactor(page);
  await open(page, `/p/${slug}/settings`);
  await security.getByLabel('Require two-factor log-in for administrators').check();
  await security.getByRole('button', { name: 'Save security rule' }).click();
  await expect(security.getByRole('status')).toContainText('Saved.');
  await expect(security.getByLabel('Require two-factor log-in for administrators')).toBeChecked();
  await screen(page, 'two-factor-rule');

  // Bo, an administrator without it, keeps the portal but not its administrator pages.
  const boPage = await (await browser.newContext()).newPage();
  await logIn(boPage, bo, password);
  await expect(boPage).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(boPage);
  await goTo(boPage, 'Settings');
  await expect(boPage.getByRole('heading', { name: 'Set up two-factor log-in' })).toBeVisible();
  await expect(boPage.getByRole('heading', { name: 'Quick registration' })).toHaveCount(0);
  await screen(boPage, 'two-factor-required');
  await setUpTwoFactor(boPage);
  await open(boPage, `/p/${slug}/settings`);
  await expect(boPage.getByRole('heading', { name: 'Settings', exact: true })).toBeVisible();

  // Bo loses his phone: Ann resets his two-factor log-in, and the audit log says so.
  await open(page, `/p/${slug}/employees`);
  await page.getByRole('link', { name: 'Bo Berg' }).first().click();
  await ready(page);
  await page.getByRole('button', { name: 'Reset two-factor log-in' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Two-factor log-in was reset.' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Reset two-factor log-in' })).toHaveCount(0);
  await screen(page, 'two-factor-reset');
  await open(page, `/p/${slug}/settings`);
  await expect(page.getByRole('table').getByText('reset two-factor log-in')).toBeVisible();

  // Bo logs in with his password alone, and is asked to set it up again.
  await open(boPage, `/p/${slug}`);
  await logOut(boPage);
  await logIn(boPage, bo, password);
  await expect(boPage).toHaveURL(new RegExp(`/p/${slug}$`));
  await open(boPage, `/p/${slug}/settings`);
  await expect(boPage.getByRole('heading', { name: 'Set up two-factor log-in' })).toBeVisible();
});
