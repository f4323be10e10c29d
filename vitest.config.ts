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
          exclude: ['test/browser/**'],
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
