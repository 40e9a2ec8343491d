/** A step of a benchmark timed in wall and CPU ms (CPU of every thread of the process: lmdb's and a same-process client's too). */
import { performance } from 'node:perf_hooks';
import { cpuMs } from './ingest-ab.ts';

export interface Spent { wall: number; cpu: number; samples: number[] }

export const spent = (): Spent => ({ wall: 0, cpu: 0, samples: [] });

/** Runs `step`, adds its wall and CPU ms to `into` (and its wall ms to `into.samples`); returns what it returned. */
export async function timed<T>(into: Spent, step: () => T | Promise<T>): Promise<T> {
  const s = performance.now();
  const c = cpuMs();
  const value = await step();
  into.cpu += cpuMs() - c;
  const wall = performance.now() - s;
  into.wall += wall;
  into.samples.push(wall);
  return value;
}
