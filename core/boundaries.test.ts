/** STYLE.md: core/ imports no I/O library. This test is the rule's enforcement. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FORBIDDEN = ['fastify', 'cassandra-driver', '@aws-sdk', 'lmdb', '@kubernetes/client-node', 'node:fs', 'node:http', 'node:net', 'pino'];

describe('core/ boundaries', () => {
  it('imports no I/O library from any non-test module', () => {
    const offenders: string[] = [];
    for (const f of readdirSync('core', { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
      const text = readFileSync(join('core', f), 'utf8');
      for (const m of text.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
        if (FORBIDDEN.some((x) => m[1] === x || m[1]!.startsWith(`${x}/`))) offenders.push(`${f}: ${m[1]}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
