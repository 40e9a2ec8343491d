/**
 * `kubetime demo` as a newcomer meets it: started as a process, it prints example queries; after
 * half a minute every printed curl query and kubetime command answers successfully with data.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let child: ChildProcess;
let output = '';
const dir = mkdtempSync(join(tmpdir(), 'kubetime-demo-'));

function waitFor(pattern: RegExp, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo did not print ${pattern} within ${ms} ms:\n${output}`)), ms);
    const check = () => {
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    check();
  });
}

describe('kubetime demo', () => {
  beforeAll(async () => {
    child = spawn(process.execPath, ['bin/kubetime.js', 'demo', '--port', '0', '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    await waitFor(/Press Ctrl-C to stop/, 30_000);
    await new Promise((r) => setTimeout(r, 31_000)); // the printed queries look 30 s back
  }, 90_000);

  afterAll(async () => {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every printed curl query with data', async () => {
    const urls = [...output.matchAll(/curl -s '([^']+)'/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) {
      const res = await fetch(url);
      const body = await res.text();
      expect(res.status, `${url}\n${body.slice(0, 500)}`).toBe(200);
      const json = JSON.parse(body) as Record<string, unknown>;
      if (Array.isArray(json.items)) expect(json.items.length, url).toBeGreaterThan(0);
    }
  });

  it('answers every printed kubetime command', () => {
    const commands = [...output.matchAll(/KUBETIME_SERVER=(\S+) npx kubetime (.+)$/gm)].map((m) => ({ server: m[1]!, args: m[2]!.split(' ') }));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const c of commands) {
      const r = spawnSync(process.execPath, ['bin/kubetime.js', ...c.args], { env: { ...process.env, KUBETIME_SERVER: c.server }, encoding: 'utf8' });
      expect(r.status, `kubetime ${c.args.join(' ')}\n${r.stderr}`).toBe(0);
      expect(r.stdout.length).toBeGreaterThan(0);
    }
  });
});
