/**
 * Starts the real services the tests use (Cassandra, an S3 server, a Kubernetes control plane, an
 * OpenTelemetry Collector, promtool, and Chromium for the web timeline's browser test)
 * through test/infra/services.sh, once per `npm test`, and hands their addresses to the tests
 * with `provide('services', …)`. With CI set, a service that cannot start is recorded as
 * missing and every test that needs it fails (test/infra/services.ts); without CI they skip loudly.
 *
 * KUBETIME_SERVICES=none skips starting anything (unit work); KUBETIME_SERVICES=cassandra,minio
 * starts only those.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';

export interface ServicesInfo {
  env: Record<string, string>;
  failed: string[];
  log: string;
}

function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  return env;
}

export default function setup(project: TestProject): void {
  const wanted = process.env.KUBETIME_SERVICES ?? 'cassandra,minio,kube,otelcol,promtool,chromium';
  const info: ServicesInfo = { env: {}, failed: [], log: '' };
  if (wanted !== 'none' && existsSync('test/infra/services.sh')) {
    for (const service of wanted.split(',').map((s) => s.trim()).filter(Boolean)) {
      process.stderr.write(`[services] starting ${service} (first use installs it; this can take a while)\n`);
      const r = spawnSync('bash', ['test/infra/services.sh', 'up', '--only', service], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 90 * 60_000,
      });
      if (r.status === 0) Object.assign(info.env, parseExports(r.stdout));
      else info.failed.push(service);
    }
  }
  project.provide('services', info);
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServicesInfo;
  }
}
