import { expect, Page } from '@playwright/test';

/** Waits until the page has hydrated (the app marks <body> when its WASM is running). */
export async function ready(page: Page) {
  await page.locator('body[data-hydrated]').waitFor();
}

export async function open(page: Page, path: string) {
  await page.goto(path);
  await ready(page);
}

/** Saves a screenshot of the current screen as a test artifact. */
export async function screen(page: Page, name: string) {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
}

export function unique(prefix: string) {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

export async function logIn(page: Page, login: string, password: string) {
  await open(page, '/login');
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log In' }).click();
}

export async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await ready(page);
}

/** The first link in the newest Outbox message with this subject to this recipient. */
export async function linkFromOutbox(page: Page, subject: string, recipient: string): Promise<string> {
  await open(page, '/dev/outbox');
  const message = page.getByRole('article', { name: `${subject} to ${recipient}` }).first();
  await expect(message).toBeVisible();
  const href = await message.getByRole('link').first().getAttribute('href');
  expect(href).toBeTruthy();
  return href as string;
}
