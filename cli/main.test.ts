import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FLAGS, USAGE as QUERY_USAGE } from './client/args.ts';
import { main } from './main.ts';

describe('kubetime help', () => {
  it("shows each query command exactly as the command's own --help does (one source: --to is optional)", async () => {
    let out = '';
    expect(await main(['help'], { out: (s) => { out += s; }, err: () => undefined })).toBe(0);
    for (const usage of Object.values(QUERY_USAGE)) expect(out).toContain(`  ${usage.replace(` ${FLAGS}`, '')}\n`);
    expect(out).toContain('kubetime diff KIND[/NAME] [-n NS | -A] [-l SELECTOR] --from T [--to T] [--raw] [--show-managed-fields]\n');
  });
});


async function runMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

describe('kubetime COMMAND --help', () => {
  it('lists every flag of serve, import and the operations commands, without running them', async () => {
    const serve = await runMain(['serve', '--help']);
    expect(serve.code).toBe(0);
    for (const flag of ['--port N', '--data-dir DIR', '--no-watch', '--context CTX', '--audit-token TOKEN', '--tls-cert-file FILE', '--retention RULES', '--label-selector SELECTOR']) {
      expect(serve.out).toContain(flag);
    }
    expect((await runMain(['import', '-h'])).out).toMatch(/--audit-log FILE\s+an audit log file/);
    const restore = await runMain(['restore', '--help']);
    expect([restore.code, restore.out]).toEqual([0, expect.stringMatching(/--from URL\s+restore: the snapshot[\s\S]*--force/)]);
  });

  it('the top-level help points at it', async () => {
    expect((await runMain(['--help'])).out).toContain('kubetime COMMAND --help lists every flag');
  });
});

describe('serve on a busy port', () => {
  let blocker: Server | undefined;
  let dir = '';
  afterEach(async () => {
    await new Promise((resolve) => blocker?.close(resolve) ?? resolve(undefined));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 with one line naming the port and --port, no stack trace', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    dir = mkdtempSync(join(tmpdir(), 'kubetime-busy-'));
    const r = await runMain(['serve', '--no-watch', '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir, '--log-level', 'silent']);
    expect(r.code).toBe(1);
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`kubetime serve: port ${port} is already in use; stop what listens there or choose another port with --port N`);
  });
});
