/**
 * managedFields entries like server-side field tracking writes them. They are realistic noise
 * (history queries leave them out of diffs by default), not an implementation of field
 * ownership: each writer's entry lists the fields of the part of the object it wrote.
 */
import type { KubeObject } from '../k8s/object.ts';

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Update' | 'Apply';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

const MAX_ENTRIES = 5;
const MAX_DEPTH = 3;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The FieldsV1 tree of a value: `f:<field>` for fields, `k:{"name":…}` for named list items. */
export function fieldsV1(value: unknown, depth = MAX_DEPTH): Record<string, unknown> {
  if (depth === 0) return {};
  if (Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const item of value) {
      if (isRecord(item) && typeof item.name === 'string') {
        out[`k:${JSON.stringify({ name: item.name })}`] = { '.': {}, ...fieldsV1(item, depth - 1) };
      }
    }
    return out;
  }
  if (!isRecord(value)) return {};
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) out[`f:${k}`] = fieldsV1(value[k], depth - 1);
  return out;
}

function writtenFields(obj: KubeObject, subresource: string | undefined): Record<string, unknown> {
  if (subresource === 'status') return { 'f:status': fieldsV1(obj.status) };
  const meta = (obj.metadata ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const metaFields: Record<string, unknown> = {};
  for (const k of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) {
    if (meta[k] !== undefined) metaFields[`f:${k}`] = fieldsV1(meta[k], 2);
  }
  if (Object.keys(metaFields).length) out['f:metadata'] = metaFields;
  for (const k of Object.keys(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || k === 'status') continue;
    out[`f:${k}`] = fieldsV1(obj[k]);
  }
  return out;
}

/** The field manager name a client's user agent implies (`kubelet/v1.31.0 …` → `kubelet`). */
export function managerFromUserAgent(userAgent: string): string {
  const name = userAgent.split('/')[0]?.trim();
  return name || 'unknown';
}

/** Returns `entries` with the writer's entry replaced or added (newest last, at most five). */
export function upsertManagedFields(
  entries: readonly ManagedFieldsEntry[] | undefined,
  write: { obj: KubeObject; manager: string; subresource?: string; time: string; apiVersion: string },
): ManagedFieldsEntry[] | undefined {
  // Writes through other subresources (binding, scale, eviction) are not tracked as field owners here.
  if (write.subresource && write.subresource !== 'status') return entries ? [...entries] : undefined;
  const entry: ManagedFieldsEntry = {
    manager: write.manager,
    operation: 'Update',
    apiVersion: write.apiVersion,
    time: write.time,
    fieldsType: 'FieldsV1',
    fieldsV1: writtenFields(write.obj, write.subresource),
  };
  if (write.subresource) entry.subresource = write.subresource;
  const rest = (entries ?? []).filter((e) => !(e.manager === entry.manager && e.subresource === entry.subresource));
  rest.push(entry);
  return rest.slice(-MAX_ENTRIES);
}
