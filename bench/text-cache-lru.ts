/**
 * How much of a list asked in turns in both manifest views the text cache keeps, by its size
 * (store/lmdb/text-cache.ts alone, no store): 3,000 Pods of 8 KB (raw) and 4 KB (full), asked raw,
 * raw, full, raw each round (as bench/apiserver-side-by-side.ts asks them), 20 rounds; a miss
 * inserts the text. Prints the share of asks answered from the cache.
 * Run: node bench/text-cache-lru.ts [--pods 3000] [--raw 8000] [--full 4000] [--sizes 16,32,48,64]
 */
import { TextCache } from '../store/lmdb/text-cache.ts';
import { args, fmt } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const PODS = Number(a.pods ?? 3000);
const RAW = Number(a.raw ?? 8000);
const FULL = Number(a.full ?? 4000);
for (const mib of (a.sizes ?? '16,32,48,64').split(',').map(Number)) {
  const cache = new TextCache(mib * 2 ** 20);
  let hits = 0;
  let asks = 0;
  const list = (view: string, bytes: number) => {
    for (let i = 0; i < PODS; i++) {
      const id = TextCache.id(view, ['c', 'Pod', 'big', `pod-${i}`, 0, 0, i, `uid-${i}`]);
      asks++;
      if (cache.get(id)) hits++;
      else cache.set(view, id, 'x'.repeat(bytes));
    }
  };
  for (let round = 0; round < 20; round++) for (const [view, bytes] of [['raw', RAW], ['raw', RAW], ['full', FULL], ['raw', RAW]] as const) list(view, bytes);
  process.stdout.write(`| ${mib} MiB | ${fmt(hits / asks, 3)} |\n`);
}
