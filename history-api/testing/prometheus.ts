/** A strict-enough parser of the Prometheus text format, for tests. */
/**
 * A sample line: name, labels and value, per the Prometheus text exposition format. Values are
 * read like Prometheus does (Go's ParseFloat): NaN in any case (prom-client writes `Nan` for an
 * event-loop lag not measured yet).
 */
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*)\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g;

export interface ParsedSample { name: string; labels: Record<string, string>; value: number }

/**
 * Parses Prometheus text strictly enough to catch format mistakes: every line is a HELP, a TYPE
 * (before its samples) or a sample of a declared metric.
 */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: ParsedSample[] } {
  const types = new Map<string, string>();
  const samples: ParsedSample[] = [];
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const line of text.split('\n').slice(0, -1)) {
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) {
      if (types.has(t[1]!)) throw new Error(`duplicate TYPE for ${t[1]}`);
      types.set(t[1]!, t[2]!);
      continue;
    }
    // Empty lines are allowed between families (prom-client writes one).
    if (line === '' || /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`not a valid exposition line: ${line}`);
    const name = m[1]!;
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(family)) throw new Error(`sample ${name} before its TYPE`);
    const labels: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    samples.push({ name, labels, value });
  }
  return { types, samples };
}
