import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './chromium';

// The browser timings of scripts/bench (not part of scripts/test): the release app on a
// database of its own, which scripts/bench passes in BENCH_DATABASE_URL.
const port = process.env.BENCH_PORT ?? '3950';
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: './bench',
  timeout: 180_000,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results/bench',
  use: { baseURL, viewport: { width: 1280, height: 800 }, launchOptions: chromiumLaunch },
  webServer: {
    command: process.env.APP_BIN ?? '../target/release/intranet',
    url: `${baseURL}/login`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? '../target/site',
      SMTP_URL: '',
      SIGNUPS_PER_HOUR: '1000',
      RUST_LOG: 'warn',
    },
  },
});
