import { expect, test } from '@playwright/test';
import { createPortal, logIn, open, screen, unique } from './helpers';

const password = 'amber-lantern-77';
const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI_ON_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

test.use({ userAgent: CHROME_ON_WINDOWS });

test('the network profile lists where the account is logged in; ending a session sends it to log in @phone', async ({ page, browser }) => {
  const slug = unique('sess');
  const email = `${slug}@example.com`;
  await createPortal(page, slug, email, password, { confirm: false });

  // The same person on a second device.
  const laptop = await (await browser.newContext({ userAgent: FIREFOX_ON_LINUX })).newPage();
  await logIn(laptop, email, password);
  await expect(laptop).toHaveURL(new RegExp(`/p/${slug}$`));

  await open(page, '/network/profile');
  const sessions = page.getByRole('list', { name: 'Active sessions' });
  const here = sessions.getByRole('listitem').filter({ hasText: 'This device' });
  const firefox = sessions.getByRole('listitem').filter({ hasText: 'Firefox 133' });
  await expect(here).toContainText('Chrome 131 on Windows 10');
  await expect(here).toContainText('127.0.0.1 · Started just now · Last seen just now');
  await expect(firefox).toContainText('Firefox 133 on Linux');
  await expect(firefox).toContainText('Last seen just now');
  await expect(here.getByRole('button')).toHaveCount(0);
  await screen(page, `sessions-${page.viewportSize()?.width}`);

  // End the laptop's session: it leaves the list, and the laptop's next page is the log-in page.
  await firefox.getByRole('button', { name: 'End session of Firefox 133 on Linux, from 127.0.0.1' }).click();
  await expect(firefox).toHaveCount(0);
  await expect(page.getByRole('status')).toContainText('The session was ended.');
  await expect(sessions.getByRole('listitem')).toHaveCount(1);
  await laptop.goto(`/p/${slug}/employees`);
  await expect(laptop).toHaveURL(/\/login\?next=/);
  await expect(laptop.getByRole('heading', { name: 'Log In' })).toBeVisible();

  // Two more devices, then "Log out everywhere else": only this browser stays in.
  await logIn(laptop, email, password);
  await expect(laptop).toHaveURL(new RegExp(`/p/${slug}$`));
  const phone = await (await browser.newContext({ userAgent: SAFARI_ON_IPHONE })).newPage();
  await logIn(phone, email, password);
  await expect(phone).toHaveURL(new RegExp(`/p/${slug}$`));
  await open(page, '/network/profile');
  await expect(sessions.getByRole('listitem').filter({ hasText: 'Safari 17' })).toContainText('on iPhone');
  await expect(sessions.getByRole('listitem')).toHaveCount(3);
  await page.getByRole('button', { name: 'Log out everywhere else' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Your other sessions were logged out.' })).toBeVisible();
  await expect(sessions.getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Log out everywhere else' })).toBeDisabled();
  for (const other of [laptop, phone]) {
    await other.goto(`/network/profile`);
    await expect(other.getByText('Please log in to see your network profile.')).toBeVisible();
  }
  // This browser is still in.
  await open(page, `/p/${slug}/employees`);
  await expect(page).toHaveURL(new RegExp(`/p/${slug}/employees$`));
});
