import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintDeps, toJavaScript, typeImportsAsValues } from './deps.ts';

describe('typeImportsAsValues', () => {
  it('keeps every type-only import and re-export as an edge, and leaves type declarations alone', () => {
    const ts = [
      "import type { A } from './a.ts';",
      "import type B from './b.ts';",
      "import { type C, D } from './c.ts';",
      "export type {\n  E,\n} from './e.ts';",
      "export { type F } from './f.ts';",
      'export type G = { kind: string };',
      'type H = string;',
      'export type { H };',
    ].join('\n');
    const js = toJavaScript(ts);
    for (const spec of ['./a.ts', './b.ts', './c.ts', './e.ts', './f.ts']) expect(js).toContain(`from '${spec}'`);
    expect(typeImportsAsValues(ts)).toContain('export type G = { kind: string };');
    expect(typeImportsAsValues(ts)).toContain('export type { H };');
  });
});

describe('npm run lint:deps', () => {
  it('fails each rule on a deliberate violation, and lets cli/ and tests build adapters and everyone use k8s/', () => {
    const root = mkdtempSync(join(tmpdir(), 'kubetime-lint-fixture-'));
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    try {
      write('core/a.ts', "import { b } from './b.ts';\nexport const a = () => b;\n");
      write('core/b.ts', "import { a } from './a.ts';\nexport const b = () => a;\n");
      write('core/io.ts', "export { pino } from 'pino';\nexport const read = () => import('node:fs');\n");
      write('core/out.ts', "export type { X } from '../store/lmdb/x.ts';\n");
      write('store/lmdb/x.ts', 'export type X = number;\nexport const x = 1;\n');
      write('store/cassandra/z.ts', "import type { X } from '../lmdb/x.ts';\nexport const z: X = 1;\n");
      write('compactor/y.ts', "export const open = () => import('../store/lmdb/x.ts');\n");
      write('compactor/y.test.ts', "import { x } from '../store/lmdb/x.ts';\nexport const t = x;\n");
      write('simulator/s.ts', "import { a } from '../core/a.ts';\nexport const s = a;\n");
      write('history-api/h.ts', "import type { X } from '../store/lmdb/x.ts';\nexport const h: X = 1;\n");
      write('cli/compose.ts', "import { x } from '../store/lmdb/x.ts';\nexport const c = x;\n");
      write('k8s/ok.ts', 'export const ok = 1;\n');
      write('k8s/bad.ts', "import { b } from '../core/b.ts';\nimport { parse } from 'yaml';\nexport const k = [b, parse];\n");
      write('k8s/ok.test.ts', "import { s } from '../simulator/s.ts';\nexport const t = s;\n");
      write('core/c.ts', "import { ok } from '../k8s/ok.ts';\nexport const c = ok;\n");
      write('simulator/t.ts', "import { ok } from '../k8s/ok.ts';\nimport { parse } from 'yaml';\nexport const t = [ok, parse];\n");
      write('simulator/u.ts', "import { b } from '../bench/b.ts';\nexport const u = b;\n");
      write('bench/b.ts', 'export const b = 1;\n');
      const { status, output } = lintDeps({ root, ignoreKnown: false });
      const errors = output.split('\n').filter((l) => l.startsWith('  error ')).map((l) => l.trim());
      const expected = [
        'error core-imports-no-io: core/io.ts → fs',
        expect.stringMatching(/^error core-imports-no-io: core\/io\.ts → .*node_modules\/pino\//),
        'error core-imports-only-core: core/out.ts → store/lmdb/x.ts',
        'error history-api-reads-through-ports: history-api/h.ts → store/lmdb/x.ts',
        'error k8s-imports-only-k8s: k8s/bad.ts → core/b.ts',
        expect.stringMatching(/^error k8s-imports-only-k8s: k8s\/bad\.ts → .*node_modules\/yaml\//),
        'error no-cycles: core/a.ts →',
        'error only-cli-builds-adapters: compactor/y.ts → store/lmdb/x.ts',
        'error only-cli-builds-adapters: core/out.ts → store/lmdb/x.ts',
        'error only-cli-builds-adapters: history-api/h.ts → store/lmdb/x.ts',
        'error simulator-imports-no-kubetime: simulator/s.ts → core/a.ts',
        'error simulator-imports-no-kubetime: simulator/u.ts → bench/b.ts',
        'error store-adapters-stay-apart: store/cassandra/z.ts → store/lmdb/x.ts',
      ];
      expect(errors).toEqual(expect.arrayContaining(expected));
      expect(errors).toHaveLength(expected.length);
      expect(status).toBe(1);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
