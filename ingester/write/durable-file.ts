/**
 * Small local-disk durability steps the ingester's files share (checkpoints, the attribution
 * journal, the spool): a file replaced atomically, and a folder's entries made durable.
 */
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Syncs a folder, so a rename or a new file in it survives a crash (best effort). */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  await fh?.sync().catch(() => {});
  await fh?.close();
}

/** Replaces `path` with `text`: temporary file, fsync, rename, folder sync; a crash leaves the old file or the new one. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}
