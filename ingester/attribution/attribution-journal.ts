/**
 * AttributionJournal: the attributions that wait for their revision (attributor.ts), on local
 * disk, so that a 2xx from the audit sink means durable for them too. Without it, an audit batch
 * that reached kubetime before the watch brought the revisions it names, followed by a crash,
 * would leave those revisions with the watch's time (later than the change) and no actor.
 *
 * Layout: one file, one attribution per line (JSON; the match tagged by `by`, and lines of the
 * untagged form an older kubetime wrote read as it, attribution-match.ts `matchFromJson`), appended and fsync'ed before the sink
 * answers. A crash mid-append leaves a torn last line, which loading skips. The file is rewritten
 * (temporary file, fsync, rename) with what still waits when it has grown well past that, and
 * after a restart has restored it. Lines of attributions merged or expired since the last rewrite
 * stay until the next one: restoring them again is harmless (the Attributor skips an attribution
 * whose revision already names its actor, except one by resourceVersion, whose record the store
 * finds unchanged: it keeps a revision's earliest audited request; what matches nothing expires).
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { matchFromJson } from './attribution-match.ts';
import type { Attribution } from './attributor.ts';
import { writeAtomically } from '../write/durable-file.ts';

export interface AttributionJournalOptions {
  path: string;
  /** What waits now (the Attributor's), for a rewrite. */
  waiting: () => Attribution[];
  /** Lines beyond twice what waits before the file is rewritten. Default 1,000. */
  slack?: number;
}

export class AttributionJournal {
  readonly #o: AttributionJournalOptions;
  #fh: FileHandle;
  #lines: number;
  /** Appends and rewrites, one after another. */
  #chain: Promise<void> = Promise.resolve();

  private constructor(opts: AttributionJournalOptions, fh: FileHandle, lines: number) {
    this.#o = opts;
    this.#fh = fh;
    this.#lines = lines;
  }

  /** Opens (creating) the journal; `restored` is every attribution it holds, oldest first. */
  static async open(opts: AttributionJournalOptions): Promise<{ journal: AttributionJournal; restored: Attribution[]; torn: number }> {
    const { restored, torn } = parseLines(await readFile(opts.path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    }));
    const fh = await open(opts.path, 'a');
    return { journal: new AttributionJournal(opts, fh, restored.length + torn), restored, torn };
  }

  /** Appends attributions durably (written and fsync'ed) before resolving. */
  append(attributions: readonly Attribution[]): Promise<void> {
    if (!attributions.length) return this.#chain;
    const text = attributions.map((a) => `${JSON.stringify(a)}\n`).join('');
    return this.#serial(async () => {
      await this.#fh.appendFile(text);
      await this.#fh.datasync();
      this.#lines += attributions.length;
      if (this.#lines > 2 * this.#o.waiting().length + (this.#o.slack ?? 1000)) await this.#rewrite();
    });
  }

  /** Rewrites the file with what waits now. */
  compact(): Promise<void> {
    return this.#serial(() => this.#rewrite());
  }

  async close(): Promise<void> {
    await this.#chain.catch(() => undefined);
    await this.#fh.close();
  }

  #serial(step: () => Promise<void>): Promise<void> {
    const p = this.#chain.catch(() => undefined).then(step);
    this.#chain = p;
    return p;
  }

  async #rewrite(): Promise<void> {
    const waiting = this.#o.waiting();
    await writeAtomically(this.#o.path, waiting.map((a) => `${JSON.stringify(a)}\n`).join(''));
    await this.#fh.close();
    this.#fh = await open(this.#o.path, 'a');
    this.#lines = waiting.length;
  }
}

function parseLines(text: string): { restored: Attribution[]; torn: number } {
  const restored: Attribution[] = [];
  let torn = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const a = JSON.parse(line) as Attribution;
      // Lines written before the match was tagged (`{ rv }` for `{ by: 'rv', rv }`) read as the tagged form.
      const match = a && typeof a.cluster === 'string' && typeof a.ts === 'number' ? matchFromJson(a.match) : undefined;
      if (match) restored.push({ ...a, match });
      else torn++;
    } catch {
      torn++;
    }
  }
  return { restored, torn };
}
