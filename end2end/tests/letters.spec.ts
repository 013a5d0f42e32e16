import { expect, test } from '@playwright/test';
import { createPortal, goTo, linkFromOutbox, open, openOutbox, screen, unique } from './helpers';

const password = 'violet-harbor-42';

test('an invitation e-mail shows as HTML beside its text, and its button opens the invitation @phone', async ({ page, browser }) => {
  const slug = unique('mail');
  const email = `${slug}@example.com`;
  const dee = `dee-${email}`;
  await createPortal(page, slug, email, password);
  await goTo(page, 'Employees');
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByLabel('E-mail addresses').fill(dee);
  await dialog.getByRole('button', { name: 'Invite' }).click();
  await expect(dialog.getByRole('status')).toContainText('Invitations sent: 1.');
  const link = await linkFromOutbox(page, 'Ann Lee invites you to Acme Ltd', dee);

  // Dee, in a browser of her own, reads the message in the Outbox: the text part, and
  // beside it the HTML part as a mail program would show it.
  const context = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const deePage = await context.newPage();
  // The Outbox holds everyone's mail; Dee narrows it to her own address.
  await openOutbox(deePage, email);
  const annsMail = deePage.getByRole('article', { name: `Confirm your e-mail address to ${email}` });
  await expect(annsMail.first()).toBeVisible();
  await deePage.getByRole('searchbox', { name: 'Recipient' }).fill(dee);
  await deePage.getByRole('button', { name: 'Show' }).click();
  // Her message first: the page streams its list in, so an empty list proves nothing.
  await expect(deePage.getByRole('article', { name: `Ann Lee invites you to Acme Ltd to ${dee}` })).toBeVisible();
  await expect(annsMail).toHaveCount(0);
  expect(new URL(deePage.url()).searchParams.get('to')).toBe(dee);
  await screen(deePage, `outbox-one-recipient-${page.viewportSize()?.width}`);
  const message = deePage.getByRole('article', { name: `Ann Lee invites you to Acme Ltd to ${dee}` }).first();
  await expect(message.getByLabel('Text part')).toContainText(`Accept the invitation: ${link}`);
  const html = message.getByTitle('HTML part of Ann Lee invites you to Acme Ltd').contentFrame();
  await expect(html.getByRole('heading', { name: 'Ann Lee invites you to Acme Ltd' })).toBeVisible();
  await expect(html.getByText('Ann Lee invites you to join Acme Ltd on Bitrix24.')).toBeVisible();
  // One button, and the same link written out below it.
  const button = html.getByRole('link', { name: 'Accept the invitation' });
  await expect(button).toHaveAttribute('href', link);
  await expect(html.getByRole('link', { name: link })).toHaveAttribute('href', link);
  await expect(html.getByRole('link')).toHaveCount(2);
  await message.screenshot({ path: `test-results/screens/outbox-html-${page.viewportSize()?.width}.png` });
  // Nothing on the page runs past the screen's edge.
  const overflow = await deePage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // The button works as it would in a mail program: it opens the invitation.
  await button.click();
  await expect(deePage).toHaveURL(link);
  await expect(deePage.getByRole('heading', { name: 'Join Acme Ltd' })).toBeVisible();
  await context.close();
});
