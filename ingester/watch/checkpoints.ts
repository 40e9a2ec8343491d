/**
 * Checkpoints: per watch stream, the resourceVersion up to which everything the stream served is
 * durable, so a restarted ingester resumes each watch there (the API server replays what followed,
 * deletions included) instead of relisting and losing every intermediate revision.
 *
 * One small JSON file (`<data-dir>/watch-checkpoints.json`), loaded once at open; a missing or
 * corrupt file means "no checkpoints" (logged; the sources then list as before). Updates stay in
 * memory and are written at most every `flushEveryMs` while dirty, and on close: temp file,
 * fsync, rename, so a crash leaves the previous file or the new one, never a torn one.
 *
 * Invariant (kept by the caller, InformerSource via WriteWindow): a checkpoint is never ahead of
 * durability. Being behind is safe: the replay is deduplicated against the store.
 *
 * File layout: `{"version":1,"sources":{"<key>":{"resourceVersion":"123","at":1700000000000000}}}`,
 * `<key>` from `checkpointKey`, `at` the µs when the source reached that resourceVersion.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Micros } from '../../core/time.ts';
import { writeAtomically } from '../write/durable-file.ts';
import { realTiming, type Timing } from '../timing.ts';

/** The checkpoints' file name in the data dir. */
export const CHECKPOINTS_FILE = 'watch-checkpoints.json';

/** Where one stream was durable: its resourceVersion, and when the source reached it (µs). */
export interface Checkpoint {
  resourceVersion: string;
  at: Micros;
}

/** What identifies one watch stream exactly. */
export interface StreamIdentity {
  cluster: string;
  /** The collection path, e.g. `/apis/apps/v1/namespaces/default/deployments` (group, version, resource, namespace). */
  path: string;
  labelSelector?: string | undefined;
  /** The client-side namespace filter, when the source has one (objects it hid were never listed). */
  scope?: string | undefined;
}

/** The checkpoint key of a stream, e.g. `prod:/api/v1/pods?labelSelector=app%3Dweb`. */
export function checkpointKey(s: StreamIdentity): string {
  const q = new URLSearchParams();
  if (s.labelSelector) q.set('labelSelector', s.labelSelector);
  if (s.scope) q.set('scope', s.scope);
  const query = q.toString();
  return `${encodeURIComponent(s.cluster)}:${s.path}${query ? `?${query}` : ''}`;
}

export interface CheckpointsOptions {
  /** The JSON file; its folder is created when missing. */
  path: string;
  logger?: Logger;
  timing?: Timing;
  /** Longest a dirty checkpoint waits before it is written, ms. Default 1000. */
  flushEveryMs?: number;
}

const VERSION = 1;

/** The checkpoints of every source of one ingester (module comment). */
export class Checkpoints {
  readonly #o: CheckpointsOptions;
  readonly #t: Timing;
  readonly #entries: Map<string, Checkpoint>;
  readonly #closing = new AbortController();
  #dirty = false;
  #scheduled: Promise<void> | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(opts: CheckpointsOptions, entries: Map<string, Checkpoint>) {
    this.#o = opts;
    this.#t = opts.timing ?? realTiming;
    this.#entries = entries;
  }

  /** Loads the file (never throws for a missing or unreadable one: that is "no checkpoints"). */
  static async open(opts: CheckpointsOptions): Promise<Checkpoints> {
    return new Checkpoints(opts, await load(opts.path, opts.logger));
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): Checkpoint | undefined {
    return this.#entries.get(key);
  }

  /** Records a stream's durable point; written within `flushEveryMs`. */
  set(key: string, checkpoint: Checkpoint): void {
    const cur = this.#entries.get(key);
    if (cur?.resourceVersion === checkpoint.resourceVersion) return;
    this.#entries.set(key, { ...checkpoint });
    this.#dirty = true;
    if (this.#closing.signal.aborted || this.#scheduled) return;
    this.#scheduled = this.#t.delay(this.#o.flushEveryMs ?? 1000, this.#closing.signal).then(() => {
      this.#scheduled = undefined;
      return this.flush();
    });
  }

  /** Writes the file now if anything changed (serialised with other flushes). */
  flush(): Promise<void> {
    this.#writing = this.#writing.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      const sources = Object.fromEntries([...this.#entries].sort(([a], [b]) => (a < b ? -1 : 1)));
      try {
        await writeAtomically(this.#o.path, JSON.stringify({ version: VERSION, sources }, null, 1) + '\n');
      } catch (e) {
        this.#dirty = true; // retried by the next flush
        this.#o.logger?.warn({ err: e, path: this.#o.path }, 'could not write watch checkpoints');
      }
    });
    return this.#writing;
  }

  /** Cancels the timer and writes what is pending; call once every source has stopped. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#scheduled;
    await this.flush();
  }
}

async function load(path: string, logger: Logger | undefined): Promise<Map<string, Checkpoint>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing) logger?.info({ path }, 'no watch checkpoints yet; every source lists first');
    else logger?.warn({ err: e, path }, 'cannot read watch checkpoints; every source lists first');
    return new Map();
  }
  const entries = parse(text);
  if (!entries) {
    logger?.warn({ path }, 'watch checkpoints file is corrupt; ignoring it (every source lists first)');
    return new Map();
  }
  logger?.info({ path, sources: entries.size }, 'loaded watch checkpoints');
  return entries;
}

/** The entries of a checkpoints file, or undefined when it is not one. */
function parse(text: string): Map<string, Checkpoint> | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { version, sources } = (doc ?? {}) as { version?: unknown; sources?: unknown };
  if (version !== VERSION || typeof sources !== 'object' || sources === null || Array.isArray(sources)) return undefined;
  const out = new Map<string, Checkpoint>();
  for (const [key, v] of Object.entries(sources)) {
    const { resourceVersion, at } = (v ?? {}) as { resourceVersion?: unknown; at?: unknown };
    if (typeof resourceVersion !== 'string' || !resourceVersion || typeof at !== 'number' || !Number.isFinite(at)) return undefined;
    out.set(key, { resourceVersion, at });
  }
  return out;
}
