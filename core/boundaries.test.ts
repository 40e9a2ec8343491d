/**
 * The import rules themselves (core/ imports no I/O and nothing outside core/, cycles, who builds
 * adapters, …) are kept by dependency-cruiser: `npm run lint:deps`, see .dependency-cruiser.cjs.
 * This test keeps the one blind spot of that tool here honest: without a TypeScript compiler API
 * it parses with acorn's tolerant parser, which does not see `export type { … } from '…'`. Such a
 * re-export may only point into its own folder (`./…`), where no import rule can be broken.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const FOLDERS = ['core', 'store', 'ingester', 'compactor', 'history-api', 'cli', 'simulator', 'test', 'bench'];
const TYPE_REEXPORT = /^\s*export\s+type\s*(?:\{[^}]*\}|\*(?:\s+as\s+\w+)?)\s*from\s*['"]([^'"]+)['"]/gm;

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* sources(path);
    else if (e.name.endsWith('.ts')) yield path;
  }
}

/** `export type … from` specifiers that leave their folder, as "file: specifier". */
function typeReexportsLeavingFolder(file: string, text: string): string[] {
  return [...text.matchAll(TYPE_REEXPORT)].map((m) => m[1]!).filter((s) => !s.startsWith('./')).map((s) => `${file}: ${s}`);
}

describe('import rules the dependency linter cannot see', () => {
  it('finds a type-only re-export that leaves its folder, over several lines too', () => {
    const text = "export type {\n  HistoryStore,\n} from '../store/lmdb/index.ts';\nexport type { A } from './a.ts';\n";
    expect(typeReexportsLeavingFolder('core/x.ts', text)).toEqual(['core/x.ts: ../store/lmdb/index.ts']);
  });

  it('no type-only re-export leaves its folder', () => {
    const offenders = FOLDERS.flatMap((f) => [...sources(f)].flatMap((p) => typeReexportsLeavingFolder(p, readFileSync(p, 'utf8'))));
    expect(offenders).toEqual([]);
  });
});
