/**
 * The process's root logger. pino appends a child's bindings to its parent's as JSON text, so a
 * child of a child that both set `component` (the ingester's informers, the compactor, the
 * Cassandra store under cli/'s per-component loggers) would print the key twice, and duplicate
 * keys break log pipelines (jq, Loki, Elasticsearch keep one, silently). Every child made from this
 * root carries one `component`, the path of its parents' (`ingester/informer`).
 */
import pino, { type DestinationStream, type Logger } from 'pino';

const COMPONENT = /,"component":("(?:[^"\\]|\\.)*")/g;

/** pino's `onChild`: joins a repeated `component` binding into one (the parent's has at most one). */
function joinComponents(child: Logger): void {
  const holder = child as unknown as Record<symbol, string>;
  const text = holder[pino.symbols.chindingsSym] ?? '';
  const found = [...text.matchAll(COMPONENT)];
  if (found.length < 2) return;
  const path = found.map((m) => JSON.parse(m[1]!) as string).filter((c, i, all) => c !== all[i - 1]).join('/');
  holder[pino.symbols.chindingsSym] = `${text.replace(COMPONENT, '')},"component":${JSON.stringify(path)}`;
}

export function rootLogger(level: string, opts: { mixin?: () => object; destination?: DestinationStream } = {}): Logger {
  return pino({ level, base: { service: 'kubetime' }, onChild: joinComponents, ...(opts.mixin ? { mixin: opts.mixin } : {}) }, opts.destination ?? pino.destination(2));
}
