/**
 * Views of a manifest: `raw` is the object as the API server returned it; `full` leaves out what
 * only machines read (metadata.managedFields and kubectl's last-applied annotation); `summary` is
 * a kubectl-get-like row (summary.ts).
 */
import type { TextVariant } from '../ports.ts';
import type { KubeObject } from '../record.ts';

export const VIEWS = ['raw', 'full', 'summary'] as const;
export type View = (typeof VIEWS)[number];

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The object without managedFields and the last-applied annotation (a copy; the input is untouched). */
export function fullView(obj: KubeObject): KubeObject {
  const meta = obj.metadata as Record<string, unknown> | undefined;
  if (!meta || typeof meta !== 'object') return obj;
  const annotations = meta['annotations'] as Record<string, string> | undefined;
  const hasNoise = 'managedFields' in meta || (annotations !== undefined && LAST_APPLIED in annotations);
  if (!hasNoise) return obj;
  const { managedFields: _m, ...rest } = meta;
  const metadata: Record<string, unknown> = rest;
  if (annotations && LAST_APPLIED in annotations) {
    const { [LAST_APPLIED]: _l, ...kept } = annotations;
    if (Object.keys(kept).length) metadata['annotations'] = kept;
    else delete metadata['annotations'];
  }
  return { ...obj, metadata };
}

/** The object as `view` shows manifests (`summary` is handled by the caller). */
export function manifestView(obj: KubeObject, view: View): KubeObject {
  return view === 'raw' ? obj : fullView(obj);
}

/**
 * The manifest views as JSON text variants (core/ports.ts TextVariant): what a store may cache
 * and serve as text for lists in these views. `full` changes an object only through a key named
 * managedFields or the last-applied annotation, so a text without either is shown as it is.
 */
export const VIEW_TEXTS: Readonly<Record<'raw' | 'full', ManifestText>> = Object.freeze({
  raw: manifestText('raw', (obj) => obj, []),
  full: manifestText('full', fullView, ['"managedFields"', `"${LAST_APPLIED}"`]),
});

/** A manifest view as a text variant: the JSON text of the object as `show` shows it. */
export interface ManifestText extends TextVariant {
  show(obj: KubeObject): KubeObject;
}

function manifestText(name: string, show: (obj: KubeObject) => KubeObject, changedOnlyWith: readonly string[]): ManifestText {
  return Object.freeze({ name, show, text: (obj: KubeObject) => JSON.stringify(show(obj)), changedOnlyWith });
}
