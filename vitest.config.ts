import { defineConfig } from 'vitest/config';

// Tests use real processes, files and sockets; they run in forked workers so a test that kills a
// child process or fills a tmpfs cannot disturb another test's event loop.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
