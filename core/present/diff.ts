/**
 * Diffs for reading: each changed path with its old and new value (an RFC 6902 patch carries
 * only the new one). Paths are JSON pointers, as in the patch.
 */
import type { JsonPatchOp } from '../../k8s/json-patch.ts';

export interface ValueChange {
  path: string;
  op: JsonPatchOp['op'];
  old?: unknown;
  new?: unknown;
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** The value at a JSON pointer, or undefined. */
export function atPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[unescape(raw)];
  }
  return cur;
}

/** Each op of `patch` (applied to `before`) as {path, op, old, new}. */
export function valueChanges(before: unknown, patch: readonly JsonPatchOp[]): ValueChange[] {
  return patch.map((p) => {
    const old = p.op === 'add' ? undefined : atPointer(before, p.path);
    return {
      path: p.path,
      op: p.op,
      ...(old !== undefined ? { old } : {}),
      ...(p.op !== 'remove' && 'value' in p ? { new: p.value } : {}),
    };
  });
}
