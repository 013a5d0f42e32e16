import { defineConfig } from '@playwright/test';
import { chromiumLaunch } from './chromium';

// Two app instances on one Postgres behind nginx (scripts/cluster), started by
// scripts/test, which passes the balancer's address in CLUSTER_URL.
export default defineConfig({
  testDir: './tests',
  testMatch: 'cluster.spec.ts',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: './test-results/cluster',
  use: {
    baseURL: process.env.CLUSTER_URL ?? 'http://127.0.0.1:3000',
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    launchOptions: chromiumLaunch,
  },
});
