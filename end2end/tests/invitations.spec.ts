import { expect, test } from '@playwright/test';
import { confirmAddress, createPortal, linkFromOutbox, logIn, logOut, open, openOutbox, operator, ready, screen, unique } from './helpers';

const password = 'violet-harbor-42';

test('an admin invites by e-mail into a department and workgroup; the invitee joins', async ({ page }) => {
  const slug = unique('inv');
  const email = `${slug}@example.com`;
  const dee = `dee-${email}`;
  await createPortal(page, slug, email, password);

  // A department and a workgroup to invite into.
  await page.getByRole('link', { name: 'Company structure' }).click();
  await ready(page);
  await page.getByLabel('New sub-department').fill('Sales');
  await page.getByRole('button', { name: 'Add department' }).click();
  await expect(page.getByRole('figure', { name: 'Org chart' }).getByRole('link', { name: /Sales/ })).toBeVisible();
  await page.getByRole('link', { name: 'Workgroups' }).click();
  await ready(page);
  await page.getByLabel('Group name').fill('Hiking');
  await page.getByRole('button', { name: 'Create group' }).click();
  await expect(page.getByRole('link', { name: 'Hiking' })).toBeVisible();

  // The invite dialog from the Activity Stream.
  await page.getByRole('link', { name: 'Activity Stream' }).click();
  await ready(page);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await expect(dialog.getByLabel('Message text')).not.toBeEditable();
  await expect(dialog.getByText('Message text can be edited only by Bitrix24 CRM+, Project+, Standard and Professional plan subscribers.')).toBeVisible();
  await dialog.getByLabel('E-mail addresses').fill(`${dee}\nnot-an-address\n${email}`);
  const sales = await dialog.getByRole('tabpanel').getByLabel('Department').locator('option', { hasText: 'Sales' }).getAttribute('value');
  await dialog.getByRole('tabpanel').getByLabel('Department').selectOption(sales ?? '');
  await dialog.getByRole('tabpanel').getByLabel('Hiking').check();
  await dialog.getByRole('button', { name: 'Invite' }).click();
  const outcome = dialog.getByRole('status');
  await expect(outcome).toContainText('Invitations sent: 1.');
  await expect(outcome).toContainText('not-an-address');
  await expect(outcome).toContainText(`${email}: A user with this email already exists`);
  await screen(page, 'invite-dialog');

  // Employees > Invited lists it.
  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await page.getByRole('link', { name: 'Invited' }).click();
  const invitations = page.getByRole('table', { name: 'Invitations' });
  const row = invitations.getByRole('row', { name: new RegExp(dee) });
  await expect(row).toContainText('Sales');
  await expect(row).toContainText('Ann Lee');
  await expect(row.getByRole('cell').nth(6)).toHaveText(/queued|sent/);
  await screen(page, 'invited-list');

  // The invitee opens the link from the Outbox and joins.
  const link = await linkFromOutbox(page, `Ann Lee invites you to Acme Ltd`, dee);
  await open(page, `/p/${slug}`);
  await logOut(page);
  await open(page, link);
  await expect(page.getByRole('heading', { name: 'Join Acme Ltd' })).toBeVisible();
  await expect(page.getByText(`Your login will be ${dee}.`)).toBeVisible();
  await page.getByLabel('First name').fill('Dee');
  await page.getByLabel('Last name').fill('Dunn');
  await page.getByLabel('Password').fill('blue-lantern-77');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(page);
  await expect(page.getByText('Dee Dunn joined the portal').first()).toBeVisible();

  // She logs in again later with the invited address, and is where the invitation said.
  await logOut(page);
  await logIn(page, dee, 'blue-lantern-77');
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await expect(page.getByRole('table').getByRole('link', { name: 'Dee Dunn' })).toBeVisible();
  await page.getByRole('link', { name: 'Company structure' }).click();
  await expect(page.getByRole('figure', { name: 'Org chart' }).getByRole('link', { name: /Sales/ })).toContainText('1 person');
  await open(page, `/p/${slug}/employees?filter=employees&q=dee`);
  await page.getByRole('table').getByRole('link', { name: 'Dee Dunn' }).click();
  await expect(page.getByRole('heading', { name: 'Dee Dunn' })).toBeVisible();
  await expect(page.locator('.facts')).toContainText('Sales');
  await expect(page.getByRole('link', { name: 'Hiking' })).toBeVisible();
});

test('the Invited list resends and cancels invitations', async ({ page }) => {
  const slug = unique('inl');
  const email = `${slug}@example.com`;
  const fay = `fay-${email}`;
  const gus = `gus-${email}`;
  await createPortal(page, slug, email, password);
  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByLabel('E-mail addresses').fill(`${fay}, ${gus}`);
  await dialog.getByRole('button', { name: 'Invite' }).click();
  await expect(dialog.getByRole('status')).toContainText('Invitations sent: 2.');
  const firstLink = await linkFromOutbox(page, 'Ann Lee invites you to Acme Ltd', gus);

  await open(page, `/p/${slug}/employees?filter=invited`);
  const invitations = page.getByRole('table', { name: 'Invitations' });
  await invitations.getByRole('button', { name: `Resend invitation to ${fay}` }).click();
  await expect(page.getByText('No invitations here.')).toHaveCount(0);
  await invitations.getByRole('button', { name: `Cancel invitation to ${gus}` }).click();
  await expect(invitations.getByRole('row', { name: new RegExp(gus) })).toHaveCount(0);
  await expect(invitations.getByRole('row', { name: new RegExp(fay) })).toBeVisible();

  // Fay got a second message; Gus's link is dead at once.
  await openOutbox(page, fay);
  await expect(page.getByRole('article', { name: `Ann Lee invites you to Acme Ltd to ${fay}` })).toHaveCount(2);
  await open(page, firstLink);
  await expect(page.getByText('This invitation link has expired or has already been used.')).toBeVisible();
  await screen(page, 'invitation-dead-link');
});

test('an admin registers people with and without confirmation', async ({ page }) => {
  const slug = unique('reg');
  const email = `${slug}@example.com`;
  const ivy = `ivy-${email}`;
  // A long login: it must wrap inside the cards that show it, even on a phone.
  const jon = `jon-reed-from-the-transport-department-${email}`;
  await createPortal(page, slug, email, password);
  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByRole('tab', { name: 'Register' }).click();
  const panel = dialog.getByRole('tabpanel');
  await expect(panel.getByLabel('Without confirmation')).toBeChecked();
  await panel.getByLabel('E-mail', { exact: true }).fill(ivy);
  await panel.getByLabel('First name').fill('Ivy');
  await panel.getByLabel('Last name').fill('Stone');
  await panel.getByLabel('Position').fill('Buyer');
  await panel.getByRole('button', { name: 'Register' }).click();
  await expect(panel.getByRole('status')).toHaveText('Registered. The person appears under Employees.');
  await screen(page, 'register-tab');
  await expect(page.getByRole('table').getByRole('link', { name: 'Ivy Stone' })).toBeVisible();

  // Without confirmation off: the person sets a password through the e-mailed link.
  await panel.getByLabel('E-mail', { exact: true }).fill(jon);
  await panel.getByLabel('First name').fill('Jon');
  await panel.getByLabel('Last name').fill('Reed');
  await panel.getByLabel('Position').fill('Driver');
  await panel.getByLabel('Without confirmation').uncheck();
  await panel.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('table').getByRole('link', { name: 'Jon Reed' })).toBeVisible();
  await page.getByRole('link', { name: 'Invited' }).click();
  await expect(page.getByText('No invitations here.')).toBeVisible();

  const passwordMail = page;
  await openOutbox(passwordMail, ivy);
  const mail = page.getByRole('article', { name: `Your account at Acme Ltd to ${ivy}` });
  const ivyPassword = ((await mail.textContent()) ?? '').match(/Password: (\S+)/)?.[1] ?? '';
  expect(ivyPassword).toHaveLength(16);
  const link = await linkFromOutbox(page, 'Complete your registration at Acme Ltd', jon);
  await open(page, `/p/${slug}`);
  await logOut(page);
  // The log-in page speaks the seed's words.
  await expect(page.getByRole('heading', { name: 'Your Bitrix24' })).toBeVisible();
  await expect(page.getByText("Authorize to enter your company's Bitrix24.")).toBeVisible();
  await open(page, link);
  // "Complete your registration": what the admin entered, and a password of Jon's own.
  await expect(page.getByRole('heading', { name: 'Complete your registration' })).toBeVisible();
  await expect(page.locator('.facts')).toContainText('Jon Reed');
  await expect(page.locator('.facts')).toContainText('Driver');
  await expect(page.locator('.facts')).toContainText(jon);
  await screen(page, `complete-registration-${page.viewportSize()?.width}`);
  await page.setViewportSize({ width: 390, height: 844 });
  await expect.poll(() => page.locator('.facts').evaluate((facts) => facts.scrollWidth - facts.clientWidth)).toBeLessThanOrEqual(0);
  await screen(page, 'complete-registration-390');
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Complete registration' }).click();
  await expect(page.locator('#field-password-error')).not.toBeEmpty();
  await page.getByLabel('Password').fill('green-meadow-19');
  await page.getByRole('button', { name: 'Complete registration' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await ready(page);
  await logOut(page);
  await logIn(page, jon, 'green-meadow-19');
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await logOut(page);
  await openOutbox(page, jon);
  await expect(page.getByRole('article', { name: `Your password was changed to ${jon}` })).toHaveCount(0);
  await open(page, link);
  await expect(page.getByRole('alert')).toHaveText('This link has expired or has already been used.');
  // The mailed password opens the network profile, which asks for a password of one's own
  // before any portal opens.
  await logIn(page, ivy, ivyPassword);
  await expect(page).toHaveURL(/\/network\/profile$/);
  await expect(page.getByRole('alert')).toContainText('Choose a new password');
  await open(page, `/p/${slug}`);
  await expect(page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await page.getByRole('link', { name: 'Change it in your network profile' }).click();
  await ready(page);
  await page.getByLabel('Current password').fill(ivyPassword);
  await page.getByLabel('New password').fill('ivy-own-pass-42');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status')).toBeVisible();
  await open(page, `/p/${slug}`);
  await expect(page.getByRole('link', { name: 'Employees' })).toBeVisible();
});

test('an SMS invitation: the person registers from the link and logs in with the phone number', async ({ page }) => {
  const slug = unique('sms');
  const email = `${slug}@example.com`;
  // A different valid US number per run (555-01xx is reserved for fiction): 00 to 49 here,
  // 50 to 99 in fidelity.spec.ts, so the two tests never draw the same login.
  const last = String(Math.floor(Math.random() * 50)).padStart(2, '0');
  const typed = `+1 (415) 555-01${last}`;
  const e164 = `+141555501${last}`;
  await createPortal(page, slug, email, password);
  await open(page, `/p/${slug}/structure`);
  await page.getByLabel('New sub-department').fill('Field Sales');
  await page.getByRole('button', { name: 'Add department' }).click();
  await expect(page.getByRole('figure', { name: 'Org chart' }).getByRole('link', { name: /Field Sales/ })).toBeVisible();
  await open(page, `/p/${slug}`);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await dialog.getByRole('tab', { name: 'Invite using SMS' }).click();
  const panel = dialog.getByRole('tabpanel');
  await expect(panel.getByLabel('SMS text')).not.toBeEditable();
  const field = await panel.getByLabel('Department').locator('option', { hasText: 'Field Sales' }).getAttribute('value');
  await panel.getByLabel('Department').selectOption(field ?? '');
  await expect(panel.getByLabel('SMS text')).toHaveValue('Ann Lee invites you to Acme Ltd on Bitrix24: <link>');
  await panel.getByLabel('Phone numbers').fill(`${typed}\n12345`);
  await panel.getByRole('button', { name: 'Send SMS invitations' }).click();
  await expect(panel.getByRole('status')).toContainText('Invitations sent: 1.');
  await expect(panel.getByRole('status')).toContainText('12345');
  await screen(page, 'invite-sms');

  await open(page, `/p/${slug}/employees?filter=invited`);
  const row = page.getByRole('table', { name: 'Invitations' }).getByRole('row', { name: new RegExp(`\\${e164}`) });
  await expect(row).toContainText('SMS');
  await expect(row).toContainText('Field Sales');

  const link = await linkFromOutbox(page, 'SMS invitation to Acme Ltd', e164);
  await open(page, `/p/${slug}`);
  await logOut(page);
  await open(page, link);
  await expect(page.getByText(`Your login will be ${e164}.`)).toBeVisible();
  await page.getByLabel('First name').fill('Sam');
  await page.getByLabel('Last name').fill('Short');
  await page.getByLabel('Password').fill('blue-lantern-77');
  await page.getByRole('button', { name: 'Join' }).click();
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await logOut(page);
  await logIn(page, `+1 415 555 01${last}`, 'blue-lantern-77');
  await expect(page).toHaveURL(new RegExp(`/p/${slug}$`));
  await expect(page.getByText('Sam Short joined the portal').first()).toBeVisible();
  await open(page, `/p/${slug}/employees?q=Sam`);
  await expect(page.getByRole('table').getByRole('row', { name: /Sam Short/ })).toContainText('Field Sales');
});

test('on a plan that allows it, the invitation text is the admin\'s own', async ({ page }) => {
  const slug = unique('pln');
  const email = `${slug}@example.com`;
  const kay = `kay-${email}`;
  await createPortal(page, slug, email, password);
  await page.getByRole('link', { name: 'Settings' }).click();
  await ready(page);
  await expect(page.getByTestId('plan')).toHaveText('Free');
  await expect(page.getByText('The plan is changed by the operator of this server.')).toBeVisible();
  // Plans are not self-service: the server's operator sets them from the command line,
  // and the open Settings page follows live.
  expect(operator('portal', 'set-plan', slug, 'standard')).toContain('plan changed from Free to Standard');
  await expect(page.getByTestId('plan')).toHaveText('Standard');
  await expect(page.getByRole('table')).toContainText('Free to Standard (by the server operator)');

  await page.getByRole('link', { name: 'Employees' }).click();
  await ready(page);
  await page.getByRole('button', { name: 'Invite users' }).click();
  const panel = page.getByRole('dialog', { name: 'Invite users' }).getByRole('tabpanel');
  await expect(panel.getByLabel('Message text')).toBeEditable();
  await panel.getByLabel('E-mail addresses').fill(kay);
  await panel.getByLabel('Message text').fill('Come and plan the summer trip with us.');
  await panel.getByRole('button', { name: 'Invite' }).click();
  await expect(panel.getByRole('status')).toContainText('Invitations sent: 1.');
  await openOutbox(page, kay);
  await expect(page.getByRole('article', { name: `Ann Lee invites you to Acme Ltd to ${kay}` })).toContainText(
    'Come and plan the summer trip with us.',
  );
});

test('a new portal invites nobody until its admin has confirmed the address', async ({ page }) => {
  const slug = unique('cnf');
  const email = `${slug}@example.com`;
  await createPortal(page, slug, email, password, { confirm: false });
  await page.getByRole('button', { name: 'Invite users' }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite users' });
  await expect(dialog.getByRole('alert')).toContainText('Confirm your e-mail address before sending invitations');
  await expect(dialog.getByRole('alert')).toContainText(`The link went to ${email}.`);
  await screen(page, 'invite-confirm-first');
  const panel = dialog.getByRole('tabpanel').filter({ visible: true });
  await panel.getByLabel('E-mail addresses').fill(`someone-${email}`);
  await panel.getByRole('button', { name: 'Invite' }).click();
  await expect(panel.getByRole('alert')).toContainText('Confirm your e-mail address before sending invitations');
  await dialog.getByRole('button', { name: 'Send the link again' }).click();
  await expect(dialog.getByRole('status').first()).toHaveText(`We sent a new confirmation link to ${email}.`);

  await confirmAddress(page, slug, email);
  await page.getByRole('button', { name: 'Invite users' }).click();
  await expect(dialog.getByRole('tab', { name: 'Invite using e-mail' })).toBeVisible();
  await expect(dialog.getByRole('alert')).toHaveCount(0);
  await dialog.getByRole('tabpanel').filter({ visible: true }).getByLabel('E-mail addresses').fill(`someone-${email}`);
  await dialog.getByRole('tabpanel').filter({ visible: true }).getByRole('button', { name: 'Invite' }).click();
  await expect(dialog.getByRole('status')).toContainText('Invitations sent: 1.');
});
