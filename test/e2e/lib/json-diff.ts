/** A readable structural diff for failure messages: where two JSON values differ, and how. */

export interface Difference {
  /** JSON pointer. */
  path: string;
  apiserver: unknown;
  kubetime: unknown;
}

const MISSING = '<absent>';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** Differences between `a` (the apiserver's) and `b` (kubetime's), at most `max`. */
export function jsonDiff(a: unknown, b: unknown, max = 20, path = '', out: Difference[] = []): Difference[] {
  if (out.length >= max) return out;
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = `${path}/${esc(k)}`;
      if (!(k in a)) out.push({ path: p, apiserver: MISSING, kubetime: b[k] });
      else if (!(k in b)) out.push({ path: p, apiserver: a[k], kubetime: MISSING });
      else jsonDiff(a[k], b[k], max, p, out);
      if (out.length >= max) break;
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const p = `${path}/${i}`;
      if (i >= a.length) out.push({ path: p, apiserver: MISSING, kubetime: b[i] });
      else if (i >= b.length) out.push({ path: p, apiserver: a[i], kubetime: MISSING });
      else jsonDiff(a[i], b[i], max, p, out);
      if (out.length >= max) break;
    }
    return out;
  }
  if (a !== b) out.push({ path: path || '/', apiserver: a, kubetime: b });
  return out;
}

/** One-line rendering of a value for messages, shortened. */
export function brief(v: unknown, max = 200): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
