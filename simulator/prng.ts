/**
 * Deterministic randomness for the simulator. Everything random (uids, names, which pod
 * crashes next) comes from a seeded generator, so one seed always yields one history.
 * Math.random is never used.
 */

const ALNUM = 'bcdfghjklmnpqrstvwxz2456789'; // the alphabet Kubernetes uses for generated names
const HEX = '0123456789abcdef';

/** 32-bit FNV-1a hash of a string, as an unsigned integer. */
export function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A seeded pseudo-random generator (mulberry32: 32 bits of state, fast, good enough for a simulation). */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** An index chosen with probability proportional to its weight. */
  weighted(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** A name suffix like Kubernetes' generateName produces (`x7k2p`). */
  suffix(length = 5): string {
    let s = '';
    for (let i = 0; i < length; i++) s += ALNUM[this.nextUint32() % ALNUM.length];
    return s;
  }

  /** Lower-case hex digits. */
  hex(length: number): string {
    let s = '';
    for (let i = 0; i < length; i++) s += HEX[this.nextUint32() & 15];
    return s;
  }

  /** A version-4-shaped UUID. */
  uuid(): string {
    return uuidFromWords([this.nextUint32(), this.nextUint32(), this.nextUint32(), this.nextUint32()]);
  }
}

/** Formats four 32-bit words as a version-4-shaped UUID. */
export function uuidFromWords(words: readonly [number, number, number, number] | number[]): string {
  const hex = words.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
  const variant = HEX[8 + (parseInt(hex[16]!, 16) & 3)];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A deterministic UUID derived from a seed and a label (e.g. the audit ID of revision 42). */
export function stableUuid(seed: number, label: string): string {
  const a = fnv1a(label, seed >>> 0 || 1);
  const b = fnv1a(label, a ^ 0x9e3779b9);
  const c = fnv1a(label, b ^ 0x85ebca6b);
  const d = fnv1a(label, c ^ 0xc2b2ae35);
  return uuidFromWords([a, b, c, d]);
}

/** Encodes a number in the name-safe alphabet (used for pod-template-hash values). */
export function safeEncode(n: number, length = 10): string {
  let s = '';
  let x = n >>> 0;
  let y = fnv1a(String(n)) >>> 0;
  for (let i = 0; i < length; i++) {
    const v = i % 2 === 0 ? x : y;
    s += ALNUM[v % ALNUM.length];
    if (i % 2 === 0) x = Math.floor(x / ALNUM.length) ^ (y << 3);
    else y = Math.floor(y / ALNUM.length) ^ (x >>> 5);
    x >>>= 0;
    y >>>= 0;
  }
  return s;
}

/** A seeded generator of floats in [0, 1): the Rng above as a function, for tests and benchmarks. */
export function prng(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}
