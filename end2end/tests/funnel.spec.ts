import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createPortal, goTo, linkFromOutbox, open, ready, screen, unique } from './helpers';

const password = 'violet-harbor-42';

test('the invitation funnel counts each step, moves live as the invitee joins, and downloads as CSV @phone', async ({ page, browser }) => {
  const slug = unique('funnel');
  const email = `${slug}@example.com`;
  const dee = `dee-${email}`;
  const eve = `eve-${email}`;
  await createPortal(page, slug, email, password);

  await goTo(page, 'Activity Stream');
  await page.getByRole('button', { name: 'Invite users' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByLabel('E-mail addresses').fill(`${dee}\n${eve}`);
  await dialog.getByRole('button', { name: 'Invite' }).click();
  await expect(dialog.getByRole('status')).toContainText('Invitations sent: 2.');
  const link = await linkFromOutbox(page, 'Ann Lee invites you to Acme Ltd', dee);

  await open(page, `/p/${slug}/employees?filter=invited`);
  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'Funnel' }).click();
  await expect(page.getByRole('heading', { name: 'Invitation funnel' })).toBeVisible();
  const chart = page.getByRole('img', { name: 'Invitation funnel' });
  await expect(chart).toBeVisible();
  const counts = page.getByRole('table', { name: 'Invitation funnel by channel' });
  const countsOf = (label: string) => counts.getByRole('row', { name: new RegExp(`^${label}\\b`) });
  // Sent, Delivered (the dev Outbox delivers at once), Link opened, Registered, Active.
  await expect(countsOf('E-mail')).toHaveText(/E-mail\s*2\s*2\s*0\s*0\s*0/);
  await expect(countsOf('Total')).toHaveText(/Total\s*2\s*2\s*0\s*0\s*0/);
  await expect(page.getByText('0 of 2 invited are active (0%).')).toBeVisible();

  // Dee opens her link in her own browser: Ann's open page follows without a reload.
  const deeContext = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const deePage = await deeContext.newPage();
  await open(deePage, link);
  await expect(deePage.getByRole('heading', { name: 'Join Acme Ltd' })).toBeVisible();
  await expect(countsOf('E-mail')).toHaveText(/E-mail\s*2\s*2\s*1\s*0\s*0/);
  await deePage.getByLabel('First name').fill('Dee');
  await deePage.getByLabel('Last name').fill('Dunn');
  await deePage.getByLabel('Password').fill('blue-lantern-77');
  await deePage.getByRole('button', { name: 'Join' }).click();
  await expect(deePage).toHaveURL(new RegExp(`/p/${slug}$`));
  await deeContext.close();
  await expect(countsOf('Total')).toHaveText(/Total\s*2\s*2\s*1\s*1\s*1/);
  await expect(page.getByText('1 of 2 invited are active (50%).', { exact: true }).last()).toBeVisible();
  // Screen readers hear the change.
  await expect(page.getByRole('status').filter({ hasText: 'invited are active' })).toHaveText('1 of 2 invited are active (50%).');
  await expect(chart).toHaveAccessibleDescription(/Registered: 1 \(50%\)\. Active: 1 \(50%\)/);

  // Each invitation with the time of every step it reached.
  const steps = page.getByRole('table', { name: "Each invitation's steps" });
  const deeRow = steps.getByRole('row').filter({ hasText: dee });
  await expect(deeRow).toContainText('E-mail');
  await expect(deeRow).toContainText('Ann Lee');
  await expect(deeRow.locator('time')).toHaveCount(5);
  const eveRow = steps.getByRole('row').filter({ hasText: eve });
  await expect(eveRow.locator('time')).toHaveCount(2);
  await expect(eveRow.getByText('Not yet')).toHaveCount(3);
  await screen(page, `funnel-${page.viewportSize()?.width}`);

  // The sums by inviter, and the two downloads.
  await page.getByRole('link', { name: 'By inviter' }).click();
  await ready(page);
  const byInviter = page.getByRole('table', { name: 'Invitation funnel by inviter' });
  await expect(byInviter.getByRole('row', { name: /^Ann Lee\b/ })).toHaveText(/Ann Lee\s*2\s*2\s*1\s*1\s*1/);
  const [sums] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the counts (CSV)' }).click()]);
  expect(sums.suggestedFilename()).toBe('invitation-funnel-inviter.csv');
  expect(readFileSync(await sums.path(), 'utf8').replace(/\r\n/g, '\n')).toBe(
    'Invited by,Sent,Delivered,Link opened,Registered,Active\nAnn Lee,2,2,1,1,1\nTotal,2,2,1,1,1\n',
  );
  const [rows] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download every invitation (CSV)' }).click()]);
  const lines = readFileSync(await rows.path(), 'utf8').trim().split(/\r?\n/);
  expect(lines[0]).toBe('Channel,Invited,Invited by,Sent,Delivered,Link opened,Registered,Active');
  expect(lines).toHaveLength(3);
  expect(lines.find((line) => line.includes(dee))).toMatch(new RegExp(`^E-mail,${dee},Ann Lee(,[0-9T:.+-]+){5}$`));

  // The other Invited views are one click away.
  await page.getByRole('navigation', { name: 'Show' }).getByRole('link', { name: 'All invitations' }).click();
  await ready(page);
  await expect(page.getByRole('table', { name: 'Invitations' }).getByRole('row').filter({ hasText: eve })).toBeVisible();
});
