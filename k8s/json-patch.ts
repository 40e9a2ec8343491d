/**
 * RFC 6902 JSON Patch: a minimal diff between two JSON documents and its application.
 * Diffs recurse into objects and arrays (element-wise for the common prefix, then adds or
 * removes at the tail), so a status-only change yields a few small operations.
 */
export type JsonPatchOp =
  | { op: 'add'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'replace'; path: string; value: unknown };

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let n = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    n++;
    if (!(k in bo) || !jsonEqual(ao[k], bo[k])) return false;
  }
  for (const k in bo) if (bo[k] !== undefined) n--;
  return n === 0;
}

/** The operations that turn `a` into `b`. */
export function diff(a: unknown, b: unknown, path = '', out: JsonPatchOp[] = []): JsonPatchOp[] {
  const tokens = path === '' ? [] : path.slice(1).split('/');
  diffAt(a, b, tokens, out);
  return out;
}

// Paths are built only for emitted operations: most of two revisions is equal, and joining
// pointer strings for every visited node dominated the cost of a diff.
function pointer(tokens: readonly string[], last?: string): string {
  let p = '';
  for (const t of tokens) p += '/' + t;
  return last === undefined ? p : `${p}/${last}`;
}

function token(key: string): string {
  return key.includes('~') || key.includes('/') ? escapePointer(key) : key;
}

function diffAt(a: unknown, b: unknown, tokens: string[], out: JsonPatchOp[]): void {
  if (a === b) return;
  if (isObject(a) && isObject(b)) {
    for (const k in a) {
      const av = a[k];
      if (av === undefined) continue;
      const bv = b[k];
      if (bv === undefined) out.push({ op: 'remove', path: pointer(tokens, token(k)) });
      else if (av !== bv) {
        tokens.push(token(k));
        diffAt(av, bv, tokens, out);
        tokens.pop();
      }
    }
    for (const k in b) {
      if (b[k] !== undefined && a[k] === undefined) out.push({ op: 'add', path: pointer(tokens, token(k)), value: b[k] });
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const common = Math.min(a.length, b.length);
    for (let i = 0; i < common; i++) {
      if (a[i] === b[i]) continue;
      tokens.push(String(i));
      diffAt(a[i], b[i], tokens, out);
      tokens.pop();
    }
    for (let i = a.length - 1; i >= common; i--) out.push({ op: 'remove', path: pointer(tokens, String(i)) });
    for (let i = common; i < b.length; i++) out.push({ op: 'add', path: pointer(tokens, String(i)), value: b[i] });
    return;
  }
  if (!jsonEqual(a, b)) out.push({ op: 'replace', path: pointer(tokens), value: b });
}

/**
 * Parsed pointers, by text. A history's patches touch few distinct paths (a Pod's status churn,
 * a few dozen), and rebuilding a list applies tens of thousands of operations. Bounded: cleared
 * when full. The token arrays are shared, so nothing may change them.
 */
const POINTERS = new Map<string, readonly string[]>();
const POINTERS_MAX = 4096;

function parsePointer(path: string): readonly string[] {
  let tokens = POINTERS.get(path);
  if (tokens === undefined) {
    if (POINTERS.size >= POINTERS_MAX) POINTERS.clear();
    tokens = splitPointer(path);
    POINTERS.set(path, tokens);
  }
  return tokens;
}

function splitPointer(path: string): string[] {
  if (path === '') return [];
  if (path.charCodeAt(0) !== 47 /* / */) throw new Error(`invalid JSON pointer ${path}`);
  const tokens = path.slice(1).split('/');
  if (path.includes('~')) for (let i = 0; i < tokens.length; i++) tokens[i] = unescapePointer(tokens[i]!);
  return tokens;
}

/**
 * Applies a patch produced by `diff` and returns the new document. `doc` is not mutated:
 * containers on the changed paths are copied, everything else is shared.
 */
export function applyPatch<T>(doc: T, patch: readonly JsonPatchOp[]): T {
  return applyPatches(doc, [patch]);
}

/**
 * Applies several patches in order (a delta chain). Each container on a changed path is copied
 * once for the whole chain, not once per operation; `doc` and the patches' values are shared,
 * never mutated.
 */
export function applyPatches<T>(doc: T, patches: readonly (readonly JsonPatchOp[])[]): T {
  const owned = new Set<object>();
  const own = <V>(v: V): V => {
    if (typeof v !== 'object' || v === null || owned.has(v)) return v;
    const copy = (Array.isArray(v) ? v.slice() : { ...v }) as V & object;
    owned.add(copy);
    return copy;
  };
  let root: unknown = doc;
  for (const patch of patches) {
    for (const op of patch) {
      const tokens = parsePointer(op.path);
      if (tokens.length === 0) {
        root = op.op === 'remove' ? undefined : structuredClone(op.value);
        continue;
      }
      root = own(root);
      let node = root as Record<string, unknown> | unknown[];
      for (let i = 0; i < tokens.length - 1; i++) {
        const key = containerKey(node, tokens[i]!, op.path, false);
        const child = own((node as Record<string | number, unknown>)[key]);
        if (typeof child !== 'object' || child === null) throw new Error(`path ${op.path} does not exist`);
        (node as Record<string | number, unknown>)[key] = child;
        node = child as Record<string, unknown> | unknown[];
      }
      setAt(node, tokens[tokens.length - 1]!, op);
    }
  }
  return root as T;
}

function containerKey(node: object, token: string, path: string, forAdd: boolean): string | number {
  if (!Array.isArray(node)) return token;
  const idx = token === '-' ? node.length : Number(token);
  if (!Number.isInteger(idx) || idx < 0 || idx > node.length - (forAdd ? 0 : 1)) throw new Error(`bad array index in ${path}`);
  return idx;
}

function setAt(node: Record<string, unknown> | unknown[], token: string, op: JsonPatchOp): void {
  if (Array.isArray(node)) {
    const idx = containerKey(node, token, op.path, op.op === 'add') as number;
    if (op.op === 'add') node.splice(idx, 0, op.value);
    else if (op.op === 'remove') node.splice(idx, 1);
    else node[idx] = op.value;
    return;
  }
  if (op.op === 'remove') delete node[token];
  else node[token] = op.value;
}

/** The JSON pointers a patch touches, sorted and unique. */
export function changedPaths(patch: readonly JsonPatchOp[]): string[] {
  return [...new Set(patch.map((p) => p.path))].sort();
}
