/**
 * What a test that needs a real service calls: `const env = service('cassandra')` in a
 * `describe` body. Returns the service's KUBETIME_* / KUBECONFIG variables when it runs. When it
 * does not: with CI set the suite fails (a missing service is a failure in CI, never a skip);
 * otherwise the suite skips with the reason printed.
 */
import { describe, inject } from 'vitest';

export type ServiceName = 'cassandra' | 'minio' | 'kube' | 'otelcol' | 'promtool' | 'chromium';

const MARKERS: Record<ServiceName, string> = {
  cassandra: 'KUBETIME_CASSANDRA_CONTACT_POINTS',
  minio: 'KUBETIME_S3_ENDPOINT',
  kube: 'KUBECONFIG',
  otelcol: 'KUBETIME_OTELCOL_OTLP_HTTP',
  promtool: 'KUBETIME_PROMTOOL',
  chromium: 'KUBETIME_CHROMIUM',
};

export function serviceEnv(name: ServiceName): Record<string, string> | undefined {
  const info = inject('services');
  return info.env[MARKERS[name]] ? info.env : undefined;
}

/** describe() that runs only when the service is up; fails under CI when it is not. */
export function describeWithService(name: ServiceName, title: string, body: (env: Record<string, string>) => void): void {
  const env = serviceEnv(name);
  if (env) {
    describe(title, () => body(env));
    return;
  }
  const reason = `${name} is not running (npm run services:up starts it)`;
  if (process.env.CI) {
    describe(title, () => {
      it(`needs ${name}`, () => {
        throw new Error(`${reason}; CI is set, so this is a failure, not a skip`);
      });
    });
  } else {
    process.stderr.write(`\n*** SKIPPING "${title}": ${reason} ***\n`);
    describe.skip(`${title} [skipped: ${reason}]`, () => body({}));
  }
}

import { it } from 'vitest';
