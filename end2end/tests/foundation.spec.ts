import { expect, test } from '@playwright/test';
import { linkFromOutbox, logIn, logOut, open, openOutbox, ready, screen, unique } from './helpers';

const password = 'violet-harbor-42';

test('create a portal, log out and in, change login, reset password', async ({ page }) => {
  const slug = unique('acme');
  const email = `${slug}@example.com`;

  // Sign-up from the front page of a fresh install.
  await open(page, '/');
  await expect(page.getByRole('heading', { name: 'Create your Bitrix24' })).toBeVisible();
  await screen(page, '01-sign-up');
  await page.getByLabel('Company name').fill('Acme Ltd');
  await page.getByLabel('Portal address').fill('no');
  await page.getByLabel('First name').fill('Ann');
  await page.getByLabel('Last name').fill('Lee');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create' }).click();
  // Bad input is answered beside the field, and nothing else is lost.
  await expect(page.getByText('The address must be 3 to 40 characters long.')).toBeVisible();
  await screen(page, '02-sign-up-error');
  await page.getByLabel('Portal address').fill(slug);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await expect(page.getByRole('heading', { name: 'Activity Stream' })).toBeVisible();
  await expect(page.getByText('You are an administrator of this portal.')).toBeVisible();
  await screen(page, '03-portal-home');

  // Log out ends the session: the portal sends the visitor to log in, and back.
  await ready(page);
  await logOut(page);
  await open(page, `/p/${slug}`);
  await expect(page).toHaveURL(new RegExp(`/login\\?next=%2Fp%2F${slug}$`));
  await expect(page.getByRole('heading', { name: 'Log In' })).toBeVisible();

  // Wrong password and unknown login: the same message and the same status.
  const statuses: number[] = [];
  page.on('response', (r) => { if (r.url().endsWith('/api/login')) statuses.push(r.status()); });
  await logIn(page, email, 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('Incorrect login or password');
  await screen(page, '04-login-error');
  await logIn(page, `nobody-${slug}@example.com`, 'not-the-password');
  await expect(page.getByRole('alert')).toHaveText('Incorrect login or password');
  expect(statuses).toEqual([401, 401]);

  await logIn(page, email, password);
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));

  // Network profile: change the login through the link sent to the new address.
  await ready(page);
  await page.getByRole('link', { name: 'Network profile' }).click();
  await expect(page).toHaveURL(/\/network\/profile$/);
  await ready(page);
  await expect(page.getByTestId('login')).toHaveText(email);
  await screen(page, '05-network-profile');
  const newEmail = `new-${email}`;
  const changeLogin = page.getByRole('region', { name: 'Change login' });
  await changeLogin.getByLabel('New login').fill(newEmail);
  await changeLogin.getByLabel('Password').fill(password);
  await changeLogin.getByRole('button', { name: 'Change login' }).click();
  await expect(changeLogin.getByRole('status')).toContainText(`We sent a confirmation link to ${newEmail}`);
  // Nothing changes until the link is used.
  await page.reload();
  await ready(page);
  await expect(page.getByTestId('login')).toHaveText(email);

  const confirmLink = await linkFromOutbox(page, 'Confirm your new login', newEmail);
  // The old address is told too.
  await openOutbox(page, email);
  await expect(page.getByRole('article', { name: `Your login is about to change to ${email}` })).toBeVisible();
  await screen(page, '06-outbox');
  await open(page, confirmLink);
  await page.getByRole('button', { name: 'Confirm new login' }).click();
  await expect(page.getByRole('status')).toContainText(`Your login is now ${newEmail}`);
  await screen(page, '07-login-changed');
  // The link works once.
  await open(page, confirmLink);
  await expect(page.getByRole('heading', { name: 'This link no longer works' })).toBeVisible();

  await open(page, '/network/profile');
  await expect(page.getByTestId('login')).toHaveText(newEmail);
  await logOut(page);
  await logIn(page, email, password);
  await expect(page.getByRole('alert')).toHaveText('Incorrect login or password');
  await logIn(page, newEmail, password);
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(page);
  await logOut(page);

  // Forgot password: the same answer for any login, a link for a real one.
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await ready(page);
  await page.getByLabel('Login').fill(newEmail);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(page.getByRole('status')).toContainText('If an account with this login exists');
  await screen(page, '08-forgot-password');
  const resetLink = await linkFromOutbox(page, 'Reset your password', newEmail);
  await open(page, resetLink);
  await expect(page.getByRole('heading', { name: 'Set a new password' })).toBeVisible();
  await page.getByLabel('New password').fill('password');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page.getByText('This password is too common.')).toBeVisible();
  await page.getByLabel('New password').fill('amber-lantern-77');
  await page.getByRole('button', { name: 'Set new password' }).click();
  await expect(page).toHaveURL(/\/login\?reset=done$/);
  await expect(page.getByRole('status')).toHaveText('Your password was changed. Log in with the new one.');
  await screen(page, '09-password-reset');
  await open(page, resetLink);
  await expect(page.getByRole('heading', { name: 'This link no longer works' })).toBeVisible();
  await screen(page, '10-used-link');

  await logIn(page, newEmail, password);
  await expect(page.getByRole('alert')).toHaveText('Incorrect login or password');
  await logIn(page, newEmail, 'amber-lantern-77');
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
});

test('a person in several portals picks one after logging in', async ({ page }) => {
  const first = unique('north');
  const second = unique('south');
  const email = `${first}@example.com`;
  await open(page, '/');
  await page.getByLabel('Company name').fill('North Co');
  await page.getByLabel('Portal address').fill(first);
  await page.getByLabel('First name').fill('Bo');
  await page.getByLabel('Last name').fill('Ng');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${first}$`));

  // Logged in, the front page creates another portal with the same account.
  await open(page, '/');
  await expect(page.getByText('You will be the administrator, using your account')).toBeVisible();
  await page.getByLabel('Company name').fill('South Co');
  await page.getByLabel('Portal address').fill(second);
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${second}$`));
  await ready(page);
  await logOut(page);

  await logIn(page, email, password);
  await expect(page).toHaveURL(/\/portals$/);
  await ready(page);
  await expect(page.getByRole('heading', { name: 'Choose a Bitrix24' })).toBeVisible();
  await screen(page, '11-portal-chooser');
  await page.getByRole('link', { name: 'South Co' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${second}$`));
  await expect(page.getByText('Welcome to South Co')).toBeVisible();
});
