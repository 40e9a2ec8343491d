import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from './main.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kubetime-cli-'));
  dirs.push(d);
  return d;
}

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--log-level', 'silent'], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join(''), err: err.join('') };
}

const event = (i: number) => JSON.stringify({
  kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: `a${i}`, stage: 'ResponseComplete', verb: 'create', user: { username: 'alice' },
  stageTimestamp: `2026-01-10T10:00:${String(i % 60).padStart(2, '0')}.000000Z`, responseStatus: { code: 201 },
  objectRef: { resource: 'configmaps', namespace: 'ns', name: `cm${i}`, apiVersion: 'v1' },
  responseObject: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}`, namespace: 'ns', uid: `u${i}`, resourceVersion: String(i + 1) }, data: { i: String(i).repeat(2000) } },
});
const log = (n: number, from = 0) => Array.from({ length: n }, (_, i) => event(from + i)).join('\n') + '\n';

describe('kubetime import: every problem is one line naming the file, and the exit code says so', () => {
  it('imports good files and exits 0', async () => {
    const d = tmp();
    writeFileSync(join(d, 'a.log'), log(3));
    writeFileSync(join(d, 'b.log.gz'), gzipSync(log(2, 3)));
    const r = await run('import', '--data-dir', join(d, 'data'), '--audit-log', join(d, 'a.log'), join(d, 'b.log.gz'));
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toMatch(/5 changes recorded/);
  });

  it('a missing file: one line, nothing stored from it, the other files still imported, exit 1', async () => {
    const d = tmp();
    writeFileSync(join(d, 'a.log'), log(2));
    const missing = join(d, 'missing.log');
    const r = await run('import', '--data-dir', join(d, 'data'), '--audit-log', missing, join(d, 'a.log'));
    expect(r.code).toBe(1);
    expect(r.err).toBe(`kubetime import: ${missing}: no such file; stored from it before the error: 0 changes from 0 events\n`);
    expect(r.out).toMatch(/2 changes recorded/);
  });

  it('a truncated .gz: one line naming the file and what was stored from it before the break, exit 1', async () => {
    const d = tmp();
    const whole = gzipSync(log(200));
    const file = join(d, 'audit.log.gz');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const r = await run('import', '--data-dir', join(d, 'data'), '--audit-log', file);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(new RegExp(`^kubetime import: ${file}: unexpected end of file \\(truncated gzip\\?\\); stored from it before the error: (\\d+) changes from \\1 events\\n$`));
    expect(Number(/(\d+) changes from/.exec(r.err)![1])).toBeGreaterThan(0);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('random bytes or another JSON log: "not an audit log", exit 1', async () => {
    const d = tmp();
    writeFileSync(join(d, 'random.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    writeFileSync(join(d, 'app.json'), '{"level":"info","msg":"hello"}\n');
    const r = await run('import', '--data-dir', join(d, 'data'), '--audit-log', join(d, 'random.bin'), join(d, 'app.json'));
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/random\.bin: not an audit log/);
    expect(lines[1]).toMatch(/app\.json: not an audit log/);
  });
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

describe('kubetime restore', () => {
  it('over snapshots that are all damaged restores nothing, says which, and exits non-zero', async () => {
    const d = tmp();
    const source = join(d, 'source');
    writeFileSync(join(d, 'a.log'), log(5));
    expect((await run('import', '--data-dir', source, '--audit-log', join(d, 'a.log'))).code).toBe(0);
    expect((await run('snapshot', '--data-dir', source)).code).toBe(0);
    const parts = files(join(source, 'snapshots')).filter((f) => !/manifest|catalog|\.json$/.test(f));
    expect(parts.length).toBeGreaterThan(0);
    for (const p of parts) writeFileSync(p, Buffer.from(readFileSync(p).map((b, i) => (i > 40 ? b ^ 0xff : b))));
    const r = await run('restore', '--from', `file://${join(source, 'snapshots')}`, '--data-dir', join(d, 'restored'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/skipped damaged snapshot \S+ of cluster default/);
    expect(r.err).toMatch(/restored nothing of cluster default/);
  });
});
