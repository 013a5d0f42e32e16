import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './chromium';

// scripts/test builds the release app, makes an empty database and picks a free port,
// then runs this suite. The app is started here so Playwright waits until it answers.
const port = process.env.E2E_PORT ?? '3900';
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './tests',
  // Two instances behind nginx have a suite of their own (cluster.config.ts).
  testIgnore: ['**/cluster.spec.ts'],
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results',
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    // Recording a trace costs every test a fifth of its time on a 2-core machine (DOM
    // snapshots at each step), and CI keeps only the log. To look into a failure, run
    // again with `npx playwright test --trace retain-on-failure`.
    trace: 'off',
    launchOptions: chromiumLaunch,
  },
  // Every flow at desktop size; the main ones (tagged @phone) again on a phone-sized screen.
  projects: [
    { name: 'desktop', grepInvert: /@phone-only/, use: { viewport: { width: 1280, height: 800 } } },
    { name: 'phone', grep: /@phone/, use: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true } },
  ],
  webServer: {
    command: process.env.APP_BIN ?? '../target/release/intranet',
    url: `${baseURL}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? '',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      SMTP_URL: '',
      // The tests read links from the development Outbox, which is opt-in.
      DEV_OUTBOX: '1',
      // Every test signs up from 127.0.0.1; the default cap of 10 an hour is for the internet.
      SIGNUPS_PER_HOUR: '1000',
      MAILBOX_KEY_FILE: process.env.MAILBOX_KEY_FILE ?? '',
      IMAP_CA_FILE: process.env.IMAP_CA_FILE ?? '',
      // The test IMAP server listens on loopback, on ports of its own.
      IMAP_ALLOW_PRIVATE: '1',
      IMAP_PORTS: `${process.env.IMAP_TEST_TLS_PORT ?? '993'},${process.env.IMAP_TEST_STARTTLS_PORT ?? '143'}`,
      RUST_LOG: 'info,sqlx=warn',
    },
  },
});
