/**
 * Reads the keyspace's layout constants (`settings` table), fixing them on the first start with
 * LWT so that concurrent first starts agree. A configured layout that differs from the stored
 * one is ignored with a warning: data already written decides.
 */
import type { Logger } from 'pino';
import type { CassandraDb } from './client.ts';
import { checkLayout, DEFAULT_LAYOUT, type Layout } from './layout.ts';

const KEYS = Object.keys(DEFAULT_LAYOUT) as (keyof Layout)[];

async function readStored(db: CassandraDb): Promise<Partial<Layout>> {
  const rs = await db.execute('SELECT name, value FROM settings', [], 'read settings');
  const out: Partial<Layout> = {};
  for (const row of rs.rows) {
    const name = row.get('name') as string;
    if ((KEYS as string[]).includes(name)) out[name as keyof Layout] = Number(row.get('value'));
  }
  return out;
}

export async function loadLayout(db: CassandraDb, wanted: Partial<Layout>, log?: Logger): Promise<Layout> {
  const desired = checkLayout({ ...DEFAULT_LAYOUT, ...wanted });
  let stored = await readStored(db);
  const missing = KEYS.filter((k) => stored[k] === undefined);
  for (const k of missing) {
    await db.execute('INSERT INTO settings (name, value) VALUES (?, ?) IF NOT EXISTS', [k, String(desired[k])], 'write settings', { isIdempotent: false });
  }
  if (missing.length) stored = await readStored(db);
  const layout = checkLayout({ ...desired, ...stored });
  for (const k of KEYS) {
    if (wanted[k] !== undefined && wanted[k] !== layout[k]) {
      log?.warn({ setting: k, configured: wanted[k], stored: layout[k] }, 'layout setting differs from the one this keyspace was created with; using the stored value');
    }
  }
  return layout;
}
