/**
 * kube-apiserver's JSON audit log (--audit-log-path) read from a remembered position: the
 * ground truth of what changed, when (requestReceivedTimestamp … stageTimestamp brackets the
 * etcd commit), by whom, and with which resulting object and resourceVersion.
 *
 * The log rotates by renaming (lumberjack: `audit-<time>.log`, same inode), so the reader finds
 * the renamed file by inode and continues in the new one.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseMicros, type Micros } from './clock.ts';

/** One completed request that may have changed an object. */
export interface AuditChange {
  auditID: string;
  verb: string;
  /** Plural resource, e.g. `pods`. */
  resource: string;
  subresource?: string;
  group: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  /** objectRef.name, else the response object's name (generateName creates). */
  name?: string;
  /** objectRef.uid, else the response object's uid. */
  uid?: string;
  code: number;
  /** requestReceivedTimestamp, µs. */
  received: Micros;
  /** stageTimestamp of ResponseComplete, µs. */
  completed: Micros;
  username?: string;
  /** The response body (object, Scale, Status, list), when the policy level logged it. */
  response?: any;
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export class AuditLogReader {
  readonly #path: string;
  readonly #ino: number;
  readonly #offset: number;

  private constructor(path: string, ino: number, offset: number) {
    this.#path = path;
    this.#ino = ino;
    this.#offset = offset;
  }

  /** Remembers where the log ends now: later reads see only what was written after. */
  static open(path: string): AuditLogReader {
    const st = statSync(path);
    return new AuditLogReader(path, st.ino, st.size);
  }

  /** Every mutating ResponseComplete event written since open(), in log order. */
  changes(): AuditChange[] {
    const out: AuditChange[] = [];
    for (const line of this.#lines()) {
      const c = toChange(line);
      if (c) out.push(c);
    }
    return out;
  }

  #lines(): string[] {
    const current = statSync(this.#path);
    if (current.ino === this.#ino) return readLines(this.#path, this.#offset);
    // rotated: the old file (same inode) from our offset, then the new file from its start
    const dir = dirname(this.#path);
    const stem = basename(this.#path).replace(/\.log$/, '');
    const rotated = readdirSync(dir).filter((f) => f.startsWith(stem)).map((f) => join(dir, f)).find((f) => statSync(f).ino === this.#ino);
    if (!rotated) throw new Error(`audit log ${this.#path} rotated and the old file (inode ${this.#ino}) is gone`);
    return [...readLines(rotated, this.#offset), ...readLines(this.#path, 0)];
  }
}

function readLines(path: string, offset: number): string[] {
  const fd = openSync(path, 'r');
  try {
    const size = statSync(path).size;
    const buf = Buffer.alloc(Math.max(0, size - offset));
    let read = 0;
    while (read < buf.length) {
      const n = readSync(fd, buf, read, buf.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    const text = buf.subarray(0, read).toString('utf8');
    const lines = text.split('\n');
    lines.pop(); // the part after the last newline is not a whole line (yet)
    return lines;
  } finally {
    closeSync(fd);
  }
}

function toChange(line: string): AuditChange | undefined {
  if (!line.includes('"ResponseComplete"')) return undefined;
  let e: any;
  try {
    e = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (e.stage !== 'ResponseComplete' || !MUTATING.has(e.verb) || !e.objectRef?.resource) return undefined;
  const ref = e.objectRef;
  const resp = e.responseObject;
  return {
    auditID: e.auditID,
    verb: e.verb,
    resource: ref.resource,
    ...(ref.subresource ? { subresource: ref.subresource } : {}),
    group: ref.apiGroup ?? '',
    namespace: ref.namespace ?? '',
    name: ref.name ?? resp?.metadata?.name,
    uid: ref.uid ?? resp?.metadata?.uid,
    code: Number(e.responseStatus?.code ?? 0),
    received: parseMicros(e.requestReceivedTimestamp),
    completed: parseMicros(e.stageTimestamp),
    username: e.user?.username,
    ...(resp ? { response: resp } : {}),
  };
}

/** Whether the request succeeded (2xx): only those can have changed anything. */
export const succeeded = (c: AuditChange): boolean => c.code >= 200 && c.code < 300;
