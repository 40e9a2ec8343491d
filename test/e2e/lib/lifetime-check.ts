/**
 * kubetime's lists as of T held to its own histories. A list as of T comes from the store's
 * lifetime index, an object's history from its revisions: each uid must be in the list from the
 * earliest time of its revisions up to, not including, the time of its DELETED, and absent just
 * before and from then on. A lifetime the index got wrong (once: a pod missing from lists after a
 * restart) shows here in every run, not only when a LIST probe happens to fall on it.
 */
import { formatMicros, parseMicros, type Micros } from './clock.ts';
import type { Histories } from './history-check.ts';
import type { KubetimeApi } from './kubetime.ts';

/** Where each uid of the namespaced objects in `histories` was found or missed, as messages. */
export async function lifetimeProblems(api: KubetimeApi, histories: Histories): Promise<string[]> {
  const problems: string[] = [];
  for (const key of histories.keys()) {
    const [kind, namespace, name] = key.split('|') as [string, string, string];
    if (!namespace) continue;
    const items = await histories.get(kind, namespace, name);
    const uids = [...new Set(items.map((i) => i.uid))];
    for (const uid of uids) {
      const mine = items.filter((i) => i.uid === uid);
      // A revision's time is when its request completed, and a request may complete after the next
      // revision's (a pod's create answers after the scheduler's binding, which saw the pod by
      // watch): the object existed from the earliest of its revisions' times.
      const born = Math.min(...mine.map((i) => parseMicros(i.ts))) as Micros;
      const gone = mine.find((i) => i.op === 'DELETED');
      const expect: [Micros, boolean][] = [[born - 1, false], [born, true]];
      if (gone) expect.push([parseMicros(gone.ts) - 1, true], [parseMicros(gone.ts), false]);
      for (const [at, alive] of expect) {
        if (alive && at < born) continue; // deleted in the microsecond it was made
        const body = await api.ok('/v1/objects', { kind, namespace, fieldSelector: `metadata.name=${name}`, at: formatMicros(at) });
        const listed = (body.items as { metadata?: { uid?: string } }[]).some((o) => o.metadata?.uid === uid);
        if (listed !== alive) {
          problems.push(`${kind} ${namespace}/${name} (uid ${uid}) ${alive ? 'missing from' : 'listed in'} the list as of ${formatMicros(at)}; `
            + `its history: first ${mine[0]!.op}@${mine[0]!.resourceVersion} at ${mine[0]!.ts}, earliest at ${formatMicros(born)}${gone ? `, DELETED at ${gone.ts}` : ''}`);
        }
      }
    }
  }
  return problems;
}
