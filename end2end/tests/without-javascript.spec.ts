import { expect, test } from '@playwright/test';
import { createPortal, screen, unique } from './helpers';

const password = 'violet-harbor-42';

// Forms post as plain HTML forms until the page's WASM runs, or when it never does (a
// blocked script, an old phone). The server then answers a refusal on the same page and
// follows a success to where it leads.
test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('log in through the plain form: a wrong password is refused on the page, the right one opens the portal', async ({ page, browser, baseURL }) => {
    const slug = unique('nojs');
    const email = `${slug}@example.com`;
    // The portal is made in a browser that runs scripts, as its administrator would.
    const withScripts = await browser.newContext({ baseURL, javaScriptEnabled: true });
    await createPortal(await withScripts.newPage(), slug, email, password, { confirm: false });
    await withScripts.close();

    await page.goto('/login');
    await page.getByLabel('Login').fill(email);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log In' }).click();
    await expect(page.getByRole('alert')).toHaveText('Incorrect login or password');
    await expect(page.getByRole('heading', { name: 'Log In' })).toBeVisible();
    await screen(page, 'login-error-without-javascript');

    await page.getByLabel('Login').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log In' }).click();
    await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
    await expect(page.getByRole('heading', { name: 'Activity Stream' })).toBeVisible();
  });
});
