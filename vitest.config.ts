import { defineConfig } from 'vitest/config';

// Four layers, each runnable on its own (`npm run test:unit` …; `npm test` runs them all):
// - unit:        no processes, no network, no sleeps — seconds;
// - property:    randomised properties of the format (fast-check);
// - integration: the CLI as a process, key-service emulators over HTTP, deploy files checked by tools;
// - e2e:         real redis-server, real tmpfs, real SIGKILL, whole daemons, a real Ceph S3 gateway.
// Tests that start processes run in forked workers so a killed child or a full tmpfs cannot disturb
// another test's event loop.
export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 10_000 } },
      { extends: true, test: { name: 'property', include: ['test/property/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // Starts nothing by itself: the first S3 test starts Ceph once for the run; this stops it.
          globalSetup: ['test/helpers/ceph-global.ts'],
        },
      },
    ],
  },
});
