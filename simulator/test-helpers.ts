/**
 * Helpers for tests that talk to the simulator over HTTP (also usable by other modules' tests):
 * reading a watch stream line by line with a deadline.
 */

/** One decoded watch event. */
export interface WatchLine {
  type: string;
  object: Record<string, unknown> & { metadata?: Record<string, unknown> };
}

function timeoutError(): Error {
  const e = new Error('timed out waiting for a watch event');
  e.name = 'WatchTimeout';
  return e;
}

/** Reads newline-delimited JSON from a fetch Response body. */
export class LineReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private done = false;
  private pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']> | undefined;

  constructor(res: Response) {
    if (!res.body) throw new Error('response has no body');
    this.reader = res.body.getReader();
  }

  /** The next event, or undefined when the stream ended; rejects after `timeoutMs`. */
  async next(timeoutMs = 2000): Promise<WatchLine | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const text = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        return JSON.parse(text) as WatchLine;
      }
      if (this.done) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw timeoutError();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), left)));
      // A read left pending by a timeout is kept and awaited next time, so no data is lost.
      this.pending ??= this.reader.read();
      const r = await Promise.race([this.pending, timeout]).finally(() => clearTimeout(timer));
      if (r === 'timeout') throw timeoutError();
      this.pending = undefined;
      if (r.done) this.done = true;
      else this.buffer += this.decoder.decode(r.value, { stream: true });
    }
  }

  /** Reads `n` events. */
  async take(n: number, timeoutMs = 2000): Promise<WatchLine[]> {
    const out: WatchLine[] = [];
    while (out.length < n) {
      const l = await this.next(timeoutMs);
      if (!l) break;
      out.push(l);
    }
    return out;
  }

  /** Resolves true when nothing arrives within `ms` (the stream stays open and silent). */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch (e) {
      if ((e as Error).name === 'WatchTimeout') return true;
      throw e;
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}
