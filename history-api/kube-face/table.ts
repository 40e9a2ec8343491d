/**
 * `meta.k8s.io/v1` Table answers (server-side printing, what `kubectl get` asks for) from the
 * presentation layer's summary rows (core/present summaryRow): the same columns the other
 * surfaces show, ages as of T. Columns kubectl prints only with `-o wide` (core/present wide.ts)
 * get priority 1.
 * No NAMESPACE column: kubectl adds it itself from each row's object with `-A`.
 */
import { summaryRow, wideCells, wideOnlyColumns, type PrinterColumn } from '../../core/present/index.ts';
import type { KubeObject } from '../../core/record.ts';
import type { Micros } from '../../core/time.ts';
import { withArrayTexts } from '../present.ts';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

interface ColumnDefinition { name: string; type: string; format: string; description: string; priority: number }

/** What a row carries of its object: kube-apiserver's default is the metadata only. */
export function includeObjectOf(value: unknown): IncludeObject {
  return value === 'None' || value === 'Object' ? value : 'Metadata';
}

function rowObject(o: KubeObject, include: IncludeObject): Record<string, unknown> | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} };
}

export interface TableOptions {
  /** The as-of time: ages are relative to it. */
  at: Micros;
  /** The kind's name, for its columns when the list is empty. */
  kind: string;
  printerColumns?: readonly PrinterColumn[];
  includeObject: IncludeObject;
  continue?: string;
}

/** A Table of `objects` (one for a GET, the page for a LIST). */
export function kubeTable(objects: readonly KubeObject[], o: TableOptions): Record<string, unknown> {
  const { columnDefinitions, cells } = layout(objects, o);
  const rows = cells.map((c, i) => {
    const object = rowObject(objects[i]!, o.includeObject);
    return { cells: c, ...(object ? { object } : {}) };
  });
  return envelope(o, columnDefinitions, rows);
}

/** How a row's PartialObjectMetadata begins, its metadata's text then `}` (rowObject's own JSON). */
const METADATA_ROW_HEAD = JSON.stringify(rowObject({ metadata: {} } as KubeObject, 'Metadata')).slice(0, -'{}}'.length);

/**
 * The JSON text of kubeTable's answer from rows read as core/present/slim.ts TABLE_ROW_TEXT: the
 * cells from each slim object (they are a full object's), each row's metadata spliced in as its
 * text, unparsed. For `includeObject` None and Metadata (Object needs whole objects).
 */
export function kubeTableText(rows: readonly { slim: KubeObject; metadataText: string }[], o: TableOptions): string {
  if (o.includeObject === 'Object') throw new Error('kubeTableText: rows of whole objects need kubeTable');
  const { columnDefinitions, cells } = layout(rows.map((r) => r.slim), o);
  const texts = cells.map((c, i) => (o.includeObject === 'None'
    ? JSON.stringify({ cells: c })
    : `{"cells":${JSON.stringify(c)},"object":${METADATA_ROW_HEAD}${rows[i]!.metadataText}}}`));
  return withArrayTexts(envelope(o, columnDefinitions, []), 'rows', texts);
}

/** The columns of a Table of `objects` and each row's cells. */
function layout(objects: readonly KubeObject[], o: TableOptions): { columnDefinitions: ColumnDefinition[]; cells: unknown[][] } {
  const wideSummary = new Set(wideOnlyColumns(o.kind));
  const cells = objects.map((obj) => ({ row: summaryRow(obj, { at: o.at, printerColumns: o.printerColumns }), wide: wideCells(obj) }));
  const sample = cells[0] ?? { row: summaryRow({ apiVersion: 'v1', kind: o.kind, metadata: { name: '' } }, { at: o.at, printerColumns: o.printerColumns }), wide: {} };
  const narrow = Object.keys(sample.row).filter((c) => !wideSummary.has(c));
  const wide = [...Object.keys(sample.wide), ...Object.keys(sample.row).filter((c) => wideSummary.has(c))];
  const columns = [...narrow, ...wide];
  const columnDefinitions: ColumnDefinition[] = columns.map((name, i) => ({
    name,
    type: typeof sample.row[name] === 'number' ? 'integer' : 'string',
    format: name === 'NAME' ? 'name' : '',
    description: '',
    priority: i < narrow.length ? 0 : 1,
  }));
  return { columnDefinitions, cells: cells.map(({ row, wide: w }) => columns.map((c) => row[c] ?? w[c] ?? '')) };
}

function envelope(o: TableOptions, columnDefinitions: ColumnDefinition[], rows: unknown[]): Record<string, unknown> & { rows: unknown[] } {
  return {
    kind: 'Table', apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '', ...(o.continue ? { continue: o.continue } : {}) },
    columnDefinitions, rows,
  };
}

/** Whether the client asked for a Table (kubectl: `application/json;as=Table;v=v1;g=meta.k8s.io`). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((a) => /;\s*as=Table/.test(a) && /;\s*g=meta\.k8s\.io/.test(a));
}
