/**
 * Memory of a process answering lists as of T (issue 16): opens an embedded store a benchmark
 * left (bench/history.ts keeps its --dir), then runs rounds of `--concurrency` concurrent lists of
 * the 3,000-Pod namespace at random times, through core/queries.ts and JSON.stringify of each
 * answer (what the HTTP layer sends), reading /proc/self/status after each round: anonymous RSS
 * (heap, buffers) and file-backed RSS (the store's mapped pages, page cache the kernel can reclaim)
 * are reported apart.
 * `--text`: the lists as GET /v1/objects answers them now (listAt({ text: 'raw' }), each object's
 * JSON text from the store's text cache, joined by presentListAtText) instead of objects stringified.
 * Run: node --expose-gc bench/rss-queries.ts --dir bench/.data/history [--rounds 10] [--concurrency 4] [--text] [--out file]
 */
import { TRUSTED_VIEWER } from '../core/access.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHistoryQueries } from '../core/queries.ts';
import { presentListAtText } from '../history-api/present.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { prng } from './lib/generate.ts';
import { args, fmt } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const DIR = a.dir ?? 'bench/.data/history';
const ROUNDS = Number(a.rounds ?? 10);
const CONCURRENCY = Number(a.concurrency ?? 4);
const TEXT = a.text !== undefined;

function rss(): { anon: number; file: number } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
  return { anon: kb('RssAnon'), file: kb('RssFile') };
}

const before = rss();
const store = LmdbHistoryStore.open({ path: DIR });
const queries = createHistoryQueries({ store });
const clusters = await store.clusters();
const { firstSeen, lastSeen } = clusters[0]!;
const rand = prng(5);
const rows: string[] = [];
let peakAnon = 0;
let items = 0;
for (let round = 1; round <= ROUNDS; round++) {
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    const at = lastSeen - Math.floor(rand() * (lastSeen - firstSeen) * 0.5);
    const list = await queries.listAt({ viewer: TRUSTED_VIEWER, kind: 'pods', namespace: 'big', at, limit: 5000, ...(TEXT ? { text: 'raw' as const } : {}) });
    if (list.texts) {
      items = list.texts.length;
      presentListAtText({ ...list, texts: list.texts });
    } else {
      items = list.items.length;
      JSON.stringify(list);
    }
  }));
  const r = rss();
  peakAnon = Math.max(peakAnon, r.anon);
  rows.push(`| ${round} | ${fmt(r.anon, 0)} | ${fmt(r.file, 0)} | ${fmt(process.memoryUsage().heapUsed / 2 ** 20, 0)} |`);
}
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
const after = rss();
await store.close();
const out = [
  `Command: \`node ${process.execArgv.join(' ')} bench/rss-queries.ts --dir ${DIR} --rounds ${ROUNDS} --concurrency ${CONCURRENCY}${TEXT ? ' --text' : ''}\` (Node ${process.version}, ${new Date().toISOString()}). Lists of ${items.toLocaleString()} Pods, ${CONCURRENCY} at once${TEXT ? `, as text (text cache after: ${fmt((store.textCache?.bytes ?? 0) / 2 ** 20, 1)} MiB)` : ''}.`,
  '',
  `Before opening the store: anon ${fmt(before.anon, 0)} MB, file-backed ${fmt(before.file, 0)} MB. Peak anon after a round ${fmt(peakAnon, 0)} MB; after the last round and a full GC: anon ${fmt(after.anon, 0)} MB, file-backed ${fmt(after.file, 0)} MB.`,
  '',
  '| round | RssAnon MB | RssFile MB | heap used MB |',
  '|---|---|---|---|',
  ...rows,
  '',
].join('\n');
process.stdout.write(out);
if (a.out) writeFileSync(a.out, out);
