/**
 * The data dir's protection and the Secret digest key (docs/hardening.md):
 * - files kubetime creates are 0600 and folders 0700 (umask 077 for the process; the data dir,
 *   the embedded store's folder and files are also chmod-ed at start, so a data dir made by an
 *   older version is closed too);
 * - the per-installation key of Secret digests (core/redact.ts): KUBETIME_SECRET_DIGEST_KEY when
 *   set (e.g. from a Secret in the chart: every replica must share it), else
 *   `<data-dir>/secret-digest.key`, created 0600 with 32 random bytes on first start. Losing the
 *   key changes the digests of values written afterwards (a change appears where there was none),
 *   never the values; keep it with the data (snapshots do not hold it).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubetimeError } from '../core/errors.ts';

export const SECRET_KEY_FILE = 'secret-digest.key';

/** Restricts what kubetime creates from now on, and what the data dir already holds, to its user. */
export function restrictDataDir(dataDir: string): void {
  try {
    process.umask(0o077);
  } catch {
    // Worker threads cannot set the umask; the chmods below still close the data dir.
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const store = join(dataDir, 'store');
  if (!existsSync(store)) return;
  chmodSync(store, 0o700);
  for (const f of readdirSync(store)) {
    const p = join(store, f);
    if (statSync(p).isFile()) chmodSync(p, 0o600);
  }
}

/** The Secret digest key: `fromEnv` when given, else the key file beside the data (created when missing). */
export function loadSecretDigestKey(dataDir: string, fromEnv: string | undefined): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  const path = join(dataDir, SECRET_KEY_FILE);
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e; // another process made it first
    }
  }
  chmodSync(path, 0o600);
  const key = readFileSync(path, 'utf8').trim();
  if (key.length < 32) throw new KubetimeError('INVALID_ARGUMENT', `${path}: the Secret digest key is shorter than 32 characters`, { param: 'secret-digest-key' });
  return Buffer.from(key, 'utf8');
}
