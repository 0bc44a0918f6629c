/**
 * Browser tests: Debian's Chromium (npm cannot download browsers here) against the real server in sandbox
 * mode, on its own port and state directory. Reports and screenshots go under reports/.
 */
import { defineConfig } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 7420);
export const E2E_TOKEN = 'e2e-test-token-0123456789abcdef';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'reports/e2e-artifacts',
  fullyParallel: false,
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    // The real server in a sandbox this command owns (tests may change the sandbox by hand: e2e/support/).
    command: `node --import tsx e2e/support/sandboxServer.ts --port ${PORT} --token ${E2E_TOKEN} --state-dir reports/e2e-state-${PORT} --fresh`,
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
