import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    projects: [
      {
        test: {
          name: 'server',
          include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
          // The workerd-only files run in the edge project.
          exclude: ['test/browser/**', 'test/edge.test.ts', 'test/edge-webhook.test.ts'],
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        // The admin client's components and stores, in a DOM, compiled as the client build does.
        plugins: [solid()],
        resolve: { conditions: ['development', 'browser'] },
        test: {
          name: 'client',
          include: ['client/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
        },
      },
      {
        // The real-server stream checks again, against the Worker in workerd (miniflare) instead of
        // Node processes (test/support/edge-server.ts); what only Node has is skipped there. And the
        // workerd-only tests: runs on alarms, restarts mid-purchase, retention, the webhook.
        test: {
          name: 'edge',
          include: ['test/stream.test.ts', 'test/stream-processes.test.ts', 'test/slow-paths.test.ts', 'test/edge.test.ts', 'test/edge-webhook.test.ts'],
          env: { AP_TEST_RUNTIME: 'workerd' },
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Real Chromium against a real server process: one file at a time.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
