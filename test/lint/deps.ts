/**
 * `npm run lint:deps`: the import rules of .dependency-cruiser.cjs over the source tree, with the
 * known violations of .dependency-cruiser-known-violations.json ignored. Exit code 0 or 1.
 * `-- --no-ignore-known` shows the known ones too; `-- --update-baseline` rewrites that file from
 * what breaks the rules now (only ever to shrink it).
 *
 * Why a wrapper: dependency-cruiser reads TypeScript only through the compiler API of TypeScript
 * < 7 or >= 7.1; the installed 7.0 (the native `tsc`) has none, and without it depcruise parses
 * .ts files with acorn's tolerant parser, which silently drops some imports (two exports of
 * ingester/index.ts) and never sees `export type … from`. So depcruise gets JavaScript: a copy of
 * the tree in a temporary folder, each file's type-only imports and re-exports made plain ones (a
 * type import across a boundary breaks the rules too), then its types stripped by Node
 * (module.stripTypeScriptTypes; the project keeps to erasable syntax). Paths in the report are the
 * repository's.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
export const SOURCE_FOLDERS = ['k8s', 'core', 'store', 'ingester', 'compactor', 'history-api', 'cli', 'simulator', 'test', 'bench'];
const CONFIG = join(REPO, '.dependency-cruiser.cjs');
const BASELINE = join(REPO, '.dependency-cruiser-known-violations.json');

/** Type-only imports and re-exports as plain ones, so that stripping types keeps them as edges. */
export function typeImportsAsValues(ts: string): string {
  return ts
    .replace(/^(\s*)import\s+type\s+(?=[{*]|[\w$]+\s+from\b)/gm, '$1import ')
    .replace(/^(\s*)export\s+type\s+(?=\{[^}]*\}\s*from\b|\*)/gm, '$1export ')
    .replace(/^(\s*(?:import|export)\s*\{)([^}]*)(\}\s*from\b)/gm, (_, open: string, names: string, close: string) => open + names.replace(/(^|[,\s])type\s+(?=[\w$])/g, '$1') + close);
}

/** The JavaScript depcruise reads for a .ts file. */
export function toJavaScript(ts: string): string {
  return stripTypeScriptTypes(typeImportsAsValues(ts), { mode: 'strip' });
}

function* files(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* files(path);
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name)) yield path;
  }
}

/** Runs the rules over the folders of `root` (the repository unless told) and returns depcruise's report. */
export function lintDeps(opts: { root?: string; ignoreKnown?: boolean; updateBaseline?: boolean } = {}): { status: number; output: string } {
  const root = opts.root ?? REPO;
  const mirror = mkdtempSync(join(tmpdir(), 'kubetime-lint-'));
  try {
    const folders = SOURCE_FOLDERS.filter((f) => existsSync(join(root, f)));
    for (const f of folders) {
      for (const path of files(join(root, f))) {
        const target = join(mirror, path.slice(root.length + 1));
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, path.endsWith('.ts') ? toJavaScript(readFileSync(path, 'utf8')) : readFileSync(path));
      }
    }
    if (existsSync(join(root, 'bin'))) cpSync(join(root, 'bin'), join(mirror, 'bin'), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(mirror, 'node_modules'), 'dir');
    const depcruise = join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
    const targets = [`{${folders.join(',')}}/**/*.{ts,js}`, ...(existsSync(join(mirror, 'bin')) ? ['bin'] : [])];
    const output = opts.updateBaseline ? ['--output-type', 'baseline', '--output-to', BASELINE]
      : [...(opts.ignoreKnown === false ? [] : ['--ignore-known', BASELINE]), '--output-type', 'err'];
    const r = spawnSync(process.execPath, [depcruise, '--config', CONFIG, ...output, ...targets], { cwd: mirror, encoding: 'utf8' });
    return { status: r.status === 0 ? 0 : 1, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(mirror, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { status, output } = lintDeps({ ignoreKnown: !process.argv.includes('--no-ignore-known'), updateBaseline: process.argv.includes('--update-baseline') });
  process.stdout.write(output);
  process.exitCode = status;
}
