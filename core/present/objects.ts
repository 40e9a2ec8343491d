/**
 * One object or a list of them as a surface shows it: `view` (raw, full, summary) and `fields`
 * projections, with ages as of the answer's time.
 */
import type { KubeObject } from '../record.ts';
import { project } from './fields.ts';
import { summaryRow, summaryTable, type SummaryContext, type SummaryRow } from './summary.ts';
import { wideCells } from './wide.ts';
import { manifestView, type View } from './view.ts';

export interface ShowOptions extends SummaryContext {
  view: View;
  /** Parsed `fields=` paths (fields.ts parseFields); they win over `view`. */
  fields?: readonly string[];
  /** Summary rows with the columns kubectl adds for `-o wide` (a Pod's IP, a workload's images…). */
  wide?: boolean;
}

/** One object: a manifest (raw/full), a projection (fields), or a summary row. */
export function showObject(obj: KubeObject, o: ShowOptions): KubeObject | SummaryRow | Record<string, unknown> {
  if (o.fields?.length) return project(obj, o.fields);
  if (o.view === 'summary') return { ...summaryRow(obj, o, true), ...(o.wide ? wideCells(obj) : {}) };
  return manifestView(obj, o.view);
}

/**
 * A list: manifests or projections under `items`; for `summary`, `columns` once and each item
 * a row of cells in that order (kubectl get, compact). `withNamespace` when the list spans namespaces.
 */
export function showList(objects: readonly KubeObject[], o: ShowOptions, withNamespace: boolean): { columns?: string[]; items: (Record<string, unknown> | (string | number)[])[] } {
  if (o.fields?.length) return { items: objects.map((x) => project(x, o.fields!)) };
  if (o.view === 'summary') {
    const t = summaryTable(objects, o, withNamespace, o.wide ? wideCells : undefined);
    return { columns: t.columns, items: t.rows };
  }
  return { items: objects.map((x) => manifestView(x, o.view)) };
}
