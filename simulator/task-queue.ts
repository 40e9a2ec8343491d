/**
 * Future work of the simulated controllers (a pod becoming ready in 3 s, a drain's next
 * eviction), ordered by (time, insertion order) so a run is deterministic.
 */
import type { Micros } from '../k8s/time.ts';

interface Task {
  at: Micros;
  seq: number;
  run: () => void;
}

export class TaskQueue {
  private readonly heap: Task[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `run` at time `at`. */
  push(at: Micros, run: () => void): void {
    const t = { at, seq: this.seq++, run };
    this.heap.push(t);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(this.heap[i]!, this.heap[parent]!)) break;
      [this.heap[i], this.heap[parent]] = [this.heap[parent]!, this.heap[i]!];
      i = parent;
    }
  }

  /** Time of the earliest task, if any. */
  peekTime(): Micros | undefined {
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest task due at or before `now`. */
  popDue(now: Micros): (() => void) | undefined {
    const top = this.heap[0];
    if (!top || top.at > now) return undefined;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top.run;
  }

  private siftDown(i: number): void {
    const n = this.heap.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(this.heap[l]!, this.heap[m]!)) m = l;
      if (r < n && this.less(this.heap[r]!, this.heap[m]!)) m = r;
      if (m === i) return;
      [this.heap[i], this.heap[m]] = [this.heap[m]!, this.heap[i]!];
      i = m;
    }
  }

  private less(a: Task, b: Task): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
}
