/**
 * `kubetime failures`: the failure timeline as a table — OBJECT, REASON, START, END, TOP SUSPECT —
 * or the server's answer as JSON/YAML.
 */
import { parseRfc3339 } from '../../core/time.ts';
import type { Output } from './render.ts';
import { serialize } from './render.ts';
import { humanDuration } from '../../core/time.ts';
import { formatTable, rec } from './table.ts';

type Obj = Record<string, unknown>;
interface Ref { kind: string; namespace?: string; name: string }
interface Suspect { ref: Ref; ts: string; diff: string; actor?: { username?: string } }

const MAX_DIFF = 70;

function objectText(r: Ref): string {
  return r.namespace ? `${r.kind}/${r.namespace}/${r.name}` : `${r.kind}/${r.name}`;
}

/** `Deployment/shop/api image: api:1 → api:2 (alice, 3m before)`, or `-`. */
export function suspectText(s: Suspect | undefined, start: string): string {
  if (!s) return '-';
  const diff = s.diff.length > MAX_DIFF ? `${s.diff.slice(0, MAX_DIFF - 1)}…` : s.diff;
  const gap = ((parseRfc3339(start) ?? 0) - (parseRfc3339(s.ts) ?? 0)) / 1e6;
  const who = s.actor?.username ?? 'unknown actor';
  return `${objectText(s.ref)} ${diff} (${who}, ${gap > 0 ? `${humanDuration(gap)} before` : 'at the start'})`;
}

function endText(span: Obj): string {
  if (span['end'] === null || span['end'] === undefined) return 'ongoing';
  return span['ended'] === 'deleted' ? `${String(span['end'])} (deleted)` : String(span['end']);
}

export function renderFailures(body: Obj, output: Output): string {
  if (output !== 'table') return serialize(body, output);
  const items = (Array.isArray(body['items']) ? body['items'] : []).map(rec);
  if (items.length === 0) return `no failures between ${String(body['from'])} and ${String(body['to'])}\n`;
  const rows = items.map((s) => [
    objectText(rec(s['object']) as unknown as Ref),
    String(s['reason']),
    String(s['start']),
    endText(s),
    suspectText((s['suspects'] as Suspect[] | undefined)?.[0], String(s['start'])),
  ]);
  return formatTable(['OBJECT', 'REASON', 'START', 'END', 'TOP SUSPECT'], rows);
}
