/**
 * An in-memory SnapshotStore for tests, with fault injection: a `put` can be made to fail after
 * a number of bytes (the "server went away mid-upload" case) while keeping the port's promise
 * that a failed put leaves nothing visible.
 */
import { KubetimeError } from '../../core/errors.ts';
import { assertValidKey } from '../../core/snapshot.ts';
import type { BlobInfo, SnapshotStore } from '../../core/snapshot.ts';
import type { Clock, Micros } from '../../core/time.ts';

export interface PutFault {
  /** Which keys fail (default: every key). */
  match?: (key: string) => boolean;
  /** Fail once this many bytes of the blob were received (default 0: at once). */
  afterBytes?: number;
  /** How many puts fail before the fault clears (default 1). */
  times?: number;
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly location = 'memory://snapshots';
  readonly blobs = new Map<string, { data: Buffer; modified: Micros }>();
  /** Blobs being written (what an interrupted multipart upload leaves on a server). */
  readonly incomplete = new Map<string, Micros>();
  private fault: PutFault | undefined;
  private readonly clock: Clock;
  /** Every completed put, in order (tests check what was written when). */
  readonly putLog: string[] = [];

  constructor(clock: Clock = { now: () => Date.now() * 1000 }) {
    this.clock = clock;
  }

  /** Makes the next matching puts fail (see PutFault). */
  failPuts(fault: PutFault): void {
    this.fault = { times: 1, afterBytes: 0, ...fault };
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<{ bytes: number }> {
    assertValidKey(key);
    const fault = this.fault && (this.fault.match?.(key) ?? true) ? this.fault : undefined;
    const chunks: Buffer[] = [];
    let bytes = 0;
    const token = `${key}#${Math.random()}`;
    this.incomplete.set(token, this.clock.now());
    for await (const c of body) {
      if (fault && bytes + c.length > fault.afterBytes!) {
        if (--fault.times! <= 0) this.fault = undefined;
        throw new KubetimeError('STORE_UNAVAILABLE', `injected fault while writing ${key}`, { key });
      }
      chunks.push(Buffer.from(c));
      bytes += c.length;
    }
    if (fault) {
      if (--fault.times! <= 0) this.fault = undefined;
      throw new KubetimeError('STORE_UNAVAILABLE', `injected fault while completing ${key}`, { key });
    }
    this.incomplete.delete(token);
    this.blobs.set(key, { data: Buffer.concat(chunks), modified: this.clock.now() });
    this.putLog.push(key);
    return { bytes };
  }

  async *get(key: string): AsyncIterable<Uint8Array> {
    assertValidKey(key);
    const blob = this.blobs.get(key);
    if (!blob) throw new KubetimeError('NOT_FOUND', `snapshot store has no ${key}`, { key });
    for (let i = 0; i < blob.data.length; i += 65536) yield blob.data.subarray(i, i + 65536);
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const keys = [...this.blobs.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const b = this.blobs.get(key);
      if (b) yield { key, bytes: b.data.length, modified: b.modified };
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const k of keys) this.blobs.delete(k);
  }

  async removeIncomplete(olderThan: Micros): Promise<number> {
    let n = 0;
    for (const [token, started] of this.incomplete) {
      if (started < olderThan) {
        this.incomplete.delete(token);
        n++;
      }
    }
    return n;
  }

  async close(): Promise<void> {}
}
