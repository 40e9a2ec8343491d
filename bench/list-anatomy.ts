/**
 * Where the time of a namespace list as of T goes, phase by phase, on a store bench/history.ts
 * left behind (it keeps its store in bench/.data/history): the lifetimes scan, the last keys of
 * each object, walking each chain back to its full copy, unpacking the full copies, applying the
 * patches; and per-object costs of the steps no reader can skip (inflate, JSON.parse) next to
 * structured clone (what handing objects between threads would cost).
 * Run: node bench/history.ts …  then  node bench/list-anatomy.ts [--dir bench/.data/history]
 *      [--namespace big] [--times 8] [--at RFC3339: every list as of that time, else times spread over the store]
 */
import { performance } from 'node:perf_hooks';
import { inflateRawSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { applyPatches, type JsonPatchOp } from '../k8s/json-patch.ts';
import { all, REORDER_WINDOW } from '../core/scope.ts';
import { unpackFull } from '../store/lmdb/full-copy.ts';
import { LmdbHistoryStore } from '../store/lmdb/lmdb-history-store.ts';
import { TS_MIN } from '../store/lmdb/keys.ts';
import { args, fmt, summary } from './lib/stats.ts';

const a = args(process.argv.slice(2));
const store = LmdbHistoryStore.open({ path: a.dir ?? 'bench/.data/history' });
const namespace = a.namespace ?? 'big';
const [cluster] = await store.clusters();
if (!cluster) throw new Error('the store is empty: run bench/history.ts first');
const phases = { lifetimes: [] as number[], keys: [] as number[], walk: [] as number[], unpack: [] as number[], apply: [] as number[] };
const timed = <T>(into: number[], f: () => T): T => {
  const s = performance.now();
  const out = f();
  into.push(performance.now() - s);
  return out;
};
let objects = 0;
let ops = 0;
const fulls: Uint8Array[] = [];
const times = Number(a.times ?? 8);
for (let i = 0; i < times; i++) {
  const at = a.at ? Date.parse(a.at) * 1000 : Math.floor(cluster.firstSeen + (cluster.lastSeen - cluster.firstSeen) * (0.1 + 0.9 * ((i * 0.618034) % 1)));
  const s = performance.now();
  const lives = await all(store.lifetimes({ cluster: cluster.name, gk: 'Pod', namespace, aliveAt: at }));
  phases.lifetimes.push(performance.now() - s);
  const range = (k: (typeof lives)[number]['key']) => ({ start: [k.cluster, k.gk, k.namespace, k.name, at + 1], end: [k.cluster, k.gk, k.namespace, k.name, TS_MIN], reverse: true });
  timed(phases.keys, () => lives.forEach((l) => [...store.dbs.rev.getKeys({ ...range(l.key), limit: REORDER_WINDOW })]));
  const chains = timed(phases.walk, () => lives.map((l) => {
    const patches: JsonPatchOp[][] = [];
    for (const { key, value } of store.dbs.rev.getRange(range(l.key))) {
      if (key[7] !== l.uid) continue;
      if (value.obj !== undefined) return { full: value.obj, patches: patches.reverse() };
      patches.push(value.patch!);
    }
    return undefined;
  }).filter((c) => c !== undefined && c.full !== null) as { full: Uint8Array; patches: JsonPatchOp[][] }[]);
  const bases = timed(phases.unpack, () => chains.map((c) => unpackFull(c.full)!));
  timed(phases.apply, () => bases.forEach((b, j) => applyPatches(b, chains[j]!.patches)));
  objects += chains.length;
  ops += chains.reduce((n, c) => n + c.patches.reduce((m, p) => m + p.length, 0), 0);
  if (fulls.length < 3000) fulls.push(...chains.slice(0, 3000 - fulls.length).map((c) => c.full));
}
const DICTIONARY = readFileSync(new URL('../store/lmdb/k8s-dictionary-v1.txt', import.meta.url));
const perObject = (f: (b: Uint8Array, text: string, obj: unknown) => unknown) => {
  const texts = fulls.map((b) => inflateRawSync(b, { dictionary: DICTIONARY }).toString('utf8'));
  const objs = texts.map((t) => JSON.parse(t) as unknown);
  fulls.forEach((b, j) => f(b, texts[j]!, objs[j])); // warm-up
  const s = performance.now();
  fulls.forEach((b, j) => f(b, texts[j]!, objs[j]));
  return ((performance.now() - s) * 1000) / fulls.length;
};
const row = (name: string, x: number[]) => {
  const m = summary(x);
  return `| ${name} | ${fmt(m.p50, 0)} | ${fmt(m.max, 0)} |`;
};
const jsonBytes = fulls.reduce((n, b) => n + inflateRawSync(b, { dictionary: DICTIONARY }).length, 0) / fulls.length;
console.log([
  `Store ${a.dir ?? 'bench/.data/history'}, namespace ${namespace}: ${times} lists as of T of ${fmt(objects / times, 0)} Pods each, ${fmt(ops / objects, 1)} patch operations per Pod; \`node bench/list-anatomy.ts${process.argv.slice(2).map((x) => ` ${x}`).join('')}\` (Node ${process.version}).`,
  ``,
  `| phase (per list) | p50 ms | max ms |`,
  `|---|---|---|`,
  row('lifetimes alive at T', phases.lifetimes),
  row(`last ${REORDER_WINDOW} keys of each object`, phases.keys),
  row('walk each chain back to its full copy (values decoded)', phases.walk),
  row('inflate + JSON.parse the full copies', phases.unpack),
  row('apply the patches', phases.apply),
  ``,
  `Per full copy (${fmt(jsonBytes, 0)} B of JSON): inflate ${fmt(perObject((b) => inflateRawSync(b, { dictionary: DICTIONARY })), 1)} µs, JSON.parse ${fmt(perObject((_, t) => JSON.parse(t)), 1)} µs, structuredClone of the parsed object ${fmt(perObject((_, __, o) => structuredClone(o)), 1)} µs.`,
].join('\n'));
await store.close();
