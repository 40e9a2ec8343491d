import { defineConfig } from 'vitest/config';

// `npm run test:fidelity`: kubetime against a real kube-apiserver, probe by probe (issue 6).
export default defineConfig({
  test: {
    globalSetup: ['test/infra/global-setup.ts'],
    include: ['test/e2e/fidelity.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
