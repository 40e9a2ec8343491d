import { defineConfig } from 'vitest/config';

// One run, four kinds of test (STYLE.md): unit tests beside the code, the port contract suites,
// integration tests against real services, whole-system scenarios. `npm test` runs them all;
// test/infra/global-setup.ts starts the real services first (test/infra/services.sh up).
export default defineConfig({
  test: {
    globalSetup: ['test/infra/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{k8s,core,store,ingester,history-api,compactor,cli,simulator}/**/*.test.ts', 'test/lint/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'contract', include: ['test/contract/**/*.test.ts'], sequence: { groupOrder: 1 }, fileParallelism: false },
      },
      {
        extends: true,
        // Integration and e2e tests stop and kill the shared real services (fault tests): they run
        // after the rest, one file at a time.
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], fileParallelism: false, sequence: { groupOrder: 2 } },
      },
      {
        extends: true,
        // Whole-system scenarios against the real control plane, one at a time (fidelity.test.ts
        // reconfigures and restarts the apiserver; `npm run test:fidelity` runs it alone).
        test: {
          name: 'e2e', include: ['test/e2e/**/*.test.ts'],
          fileParallelism: false, testTimeout: 600_000, sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
