/**
 * `metadata.managedFields` is server-side-apply bookkeeping: long, and rarely what a reader wants.
 * kubectl leaves it out of -o json|yaml unless --show-managed-fields; so do the query commands.
 */

/** A copy of `value` in which no object's metadata carries managedFields. */
export function withoutManagedFields<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutManagedFields) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'metadata' && typeof v === 'object' && v !== null && !Array.isArray(v) && 'managedFields' in v) {
      const { managedFields: _dropped, ...rest } = v as Record<string, unknown>;
      out[k] = withoutManagedFields(rest);
    } else out[k] = withoutManagedFields(v);
  }
  return out as T;
}
