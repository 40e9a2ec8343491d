/**
 * KubeApi: the little of the Kubernetes API the ingester needs — JSON GETs (discovery, paged
 * lists) and watch streams — as a port, so sources are tested against fakes and run against a
 * real API server through ClientNodeKubeApi (client-node-kube-api.ts).
 *
 * Objects are handed over exactly as the server sent them (no client-side deserialisation, which
 * would turn timestamps into Dates and change the manifests kubetime must return verbatim).
 */

/** Query parameters; undefined values are left out. */
export type Query = Record<string, string | number | boolean | undefined>;

/** One line of a watch stream. `type` is ADDED | MODIFIED | DELETED | BOOKMARK | ERROR. */
export interface WatchEvent {
  type: string;
  object: unknown;
}

/** A watch line that was not valid JSON or not an event. */
export const MALFORMED: WatchEvent = Object.freeze({ type: 'MALFORMED', object: null });

/** The port: JSON GETs and watch streams of one API server. */
export interface KubeApi {
  /**
   * GET `path` and parse the JSON body.
   * @throws KubeApiError on a non-2xx answer (status) or a transport failure (status 0).
   */
  get(path: string, query: Query, signal?: AbortSignal): Promise<unknown>;
  /**
   * Opens a watch (`watch=true` is added) and yields the events of each chunk read from the
   * socket, in order; a chunk that completed no line yields an empty array, so a consumer sees
   * that bytes are flowing (bookmarks or partial objects). Reading is pulled: while the consumer
   * does not ask for the next batch, nothing more is read (TCP backpressure to the server).
   * Ends when the server closes the stream; aborting `signal` ends it with an error.
   * @throws KubeApiError when the server refuses the watch (e.g. status 410) or the stream breaks.
   */
  watch(path: string, query: Query, signal: AbortSignal): AsyncIterable<WatchEvent[]>;
}

/** One page of a list: its items and the list's resourceVersion (the same on every page). */
export interface ListPage {
  items: unknown[];
  resourceVersion: string;
}

/**
 * Lists `path` in pages of `limit` (`limit`/`continue`), as one consistent snapshot.
 * @throws KubeApiError for a failed page (410 when the continue token expired) or a body that is
 * not a list.
 */
export async function* listPages(api: KubeApi, path: string, query: Query, signal?: AbortSignal): AsyncIterable<ListPage> {
  let cont: string | undefined;
  let resourceVersion = '';
  do {
    const body = (await api.get(path, { ...query, continue: cont }, signal)) as { metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown } | null;
    const meta = body?.metadata;
    resourceVersion ||= typeof meta?.resourceVersion === 'string' ? meta.resourceVersion : '';
    if (!resourceVersion || !Array.isArray(body?.items)) throw new KubeApiError(`LIST ${path}: not a list (no items or resourceVersion)`, { status: 0 });
    yield { items: body.items, resourceVersion };
    cont = typeof meta?.continue === 'string' && meta.continue ? meta.continue : undefined;
  } while (cont && !signal?.aborted);
}

/** A failed Kubernetes API call. `status` is the HTTP status, 0 when no answer came. */
export class KubeApiError extends Error {
  readonly status: number;
  /** The Status `reason` (e.g. `Expired`, `Gone`, `NotFound`) when the server sent one. */
  readonly reason: string | undefined;

  constructor(message: string, opts: { status: number; reason?: string; cause?: unknown }) {
    super(message, { cause: opts.cause });
    this.name = 'KubeApiError';
    this.status = opts.status;
    this.reason = opts.reason;
  }
}

/** True for "your resourceVersion is too old": HTTP 410 or a Status with code 410 / reason Expired|Gone. */
export function isGone(e: unknown): boolean {
  return e instanceof KubeApiError && (e.status === 410 || e.reason === 'Expired' || e.reason === 'Gone');
}

/** Splits a chunked byte stream into lines (LF, optional CR) without copying more than needed. */
export class LineSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #maxLineBytes: number;

  constructor(maxLineBytes = 64 * 1024 * 1024) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** Feeds one chunk; calls `onLine` with each completed, non-empty line. */
  push(chunk: Uint8Array, onLine: (line: string) => void): void {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    let nl = buf.indexOf(10, start);
    while (nl >= 0) {
      let line: string;
      if (this.#pendingBytes > 0) {
        this.#pending.push(buf.subarray(start, nl));
        line = Buffer.concat(this.#pending).toString('utf8');
        this.#pending = [];
        this.#pendingBytes = 0;
      } else {
        line = buf.toString('utf8', start, nl);
      }
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.length > 0) onLine(line);
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    if (start < buf.length) {
      // The chunk may be reused by the producer: keep a copy of the tail.
      this.#pending.push(Buffer.from(buf.subarray(start)));
      this.#pendingBytes += buf.length - start;
      if (this.#pendingBytes > this.#maxLineBytes) {
        this.#pending = [];
        this.#pendingBytes = 0;
        throw new KubeApiError(`watch line longer than ${this.#maxLineBytes} bytes`, { status: 0 });
      }
    }
  }

  /** The unterminated tail, if any (a stream that ended without a final newline). */
  flush(onLine: (line: string) => void): void {
    if (this.#pendingBytes === 0) return;
    const line = Buffer.concat(this.#pending).toString('utf8').trim();
    this.#pending = [];
    this.#pendingBytes = 0;
    if (line) onLine(line);
  }
}

/** Parses one watch line; MALFORMED when it is not a JSON event. */
export function parseWatchLine(line: string): WatchEvent {
  try {
    const v = JSON.parse(line) as unknown;
    if (typeof v === 'object' && v !== null && typeof (v as WatchEvent).type === 'string') return v as WatchEvent;
  } catch {
    // fall through: a broken line must not stop the stream
  }
  return MALFORMED;
}
