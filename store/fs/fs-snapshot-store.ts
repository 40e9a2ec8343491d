/**
 * SnapshotStore in a local folder (the default, `./data/snapshots`). A key is a relative path.
 * Writes go to `<path>~tmp~<nonce>` (a `~` never occurs in a valid key), are fsynced, then
 * renamed into place, so a reader never sees a partial file; a crash leaves only temp files,
 * which `list` ignores and `removeIncomplete` deletes.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { KubetimeError } from '../../core/errors.ts';
import { assertValidKey } from '../../core/snapshot.ts';
import type { BlobInfo, SnapshotStore } from '../../core/snapshot.ts';
import type { Micros } from '../../core/time.ts';

const TEMP_MARK = '~tmp~';

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

export interface FsSnapshotStoreOptions {
  /** The folder; created when missing. */
  root: string;
}

export class FsSnapshotStore implements SnapshotStore {
  readonly location: string;
  private readonly root: string;

  private constructor(root: string) {
    this.root = root;
    this.location = pathToFileURL(root).href;
  }

  /** Opens (creating when needed) the folder. */
  static async open(o: FsSnapshotStoreOptions): Promise<FsSnapshotStore> {
    const root = resolve(o.root);
    try {
      await mkdir(root, { recursive: true });
    } catch (e) {
      throw new KubetimeError('STORE_UNAVAILABLE', `cannot create snapshot folder ${root}: ${(e as Error).message}`, { root }, { cause: e });
    }
    return new FsSnapshotStore(root);
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    return join(this.root, ...key.split('/'));
  }

  private fail(what: string, key: string, e: unknown): KubetimeError {
    if (e instanceof KubetimeError) return e;
    return new KubetimeError('STORE_UNAVAILABLE', `${what} ${key} in ${this.root} failed: ${(e as Error).message}`, { key }, { cause: e });
  }

  async put(key: string, body: AsyncIterable<Uint8Array>): Promise<{ bytes: number }> {
    const path = this.pathOf(key);
    const temp = `${path}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
    let bytes = 0;
    try {
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(temp, 'wx');
      try {
        for await (const chunk of body) {
          await fh.write(chunk);
          bytes += chunk.length;
        }
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(temp, path);
      await syncDir(dirname(path));
      return { bytes };
    } catch (e) {
      await unlink(temp).catch(() => {});
      throw this.fail('writing', key, e);
    }
  }

  async *get(key: string): AsyncIterable<Uint8Array> {
    const path = this.pathOf(key);
    try {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
    } catch (e) {
      if (code(e) === 'ENOENT') throw new KubetimeError('NOT_FOUND', `snapshot store has no ${key}`, { key });
      throw this.fail('reading', key, e);
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const cut = prefix.lastIndexOf('/');
    const base = cut < 0 ? '' : prefix.slice(0, cut);
    if (base) assertValidKey(base);
    const found: BlobInfo[] = [];
    try {
      await this.walk(base ? join(this.root, ...base.split('/')) : this.root, async (file) => {
        const key = relative(this.root, file).split(sep).join('/');
        if (key.includes(TEMP_MARK) || !key.startsWith(prefix)) return;
        const st = await stat(file);
        found.push({ key, bytes: st.size, modified: Math.round(st.mtimeMs * 1000) });
      });
    } catch (e) {
      throw this.fail('listing', prefix, e);
    }
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  /** Calls `visit` for every file under `dir` (missing folders are empty). */
  private async walk(dir: string, visit: (file: string) => Promise<void>): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (code(e) === 'ENOENT' || code(e) === 'ENOTDIR') return;
      throw e;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await this.walk(full, visit);
      else if (entry.isFile()) await visit(full).catch((e) => { if (code(e) !== 'ENOENT') throw e; });
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const path = this.pathOf(key);
      try {
        await unlink(path);
      } catch (e) {
        if (code(e) !== 'ENOENT') throw this.fail('deleting', key, e);
      }
      await this.pruneEmptyDirs(dirname(path));
    }
  }

  /** Removes now-empty folders up to (not including) the root, so deleted snapshots leave no trace. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    while (dir.startsWith(this.root + sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty, or gone
      }
      dir = dirname(dir);
    }
  }

  async removeIncomplete(olderThan: Micros): Promise<number> {
    let removed = 0;
    try {
      await this.walk(this.root, async (file) => {
        if (!file.includes(TEMP_MARK)) return;
        const st = await stat(file);
        if (st.mtimeMs * 1000 < olderThan) {
          await unlink(file);
          removed++;
        }
      });
    } catch (e) {
      throw this.fail('cleaning', '(temp files)', e);
    }
    return removed;
  }

  async close(): Promise<void> {}
}

/** fsync a folder so a rename in it survives a crash (best effort where unsupported). */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync().catch(() => {});
  } finally {
    await fh.close();
  }
}
