/**
 * HistoryQueries bound to one Viewer: the requests without their `viewer`. For in-process
 * callers that read as one reader throughout (the compactor's checks, benchmarks, tests, an
 * in-process surface that authenticated its caller once).
 */
import type { Viewer } from './access.ts';
import type { HistoryQueries } from './query-types.ts';

export type QueriesAs = {
  [M in keyof HistoryQueries]: (r: Omit<Parameters<HistoryQueries[M]>[0], 'viewer'>) => ReturnType<HistoryQueries[M]>;
};

export function queriesAs(queries: HistoryQueries, viewer: Viewer): QueriesAs {
  return {
    objectAt: (r) => queries.objectAt({ ...r, viewer }),
    listAt: (r) => queries.listAt({ ...r, viewer }),
    history: (r) => queries.history({ ...r, viewer }),
    diffObject: (r) => queries.diffObject({ ...r, viewer }),
    diffScope: (r) => queries.diffScope({ ...r, viewer }),
    graph: (r) => queries.graph({ ...r, viewer }),
    changes: (r) => queries.changes({ ...r, viewer }),
    events: (r) => queries.events({ ...r, viewer }),
    clusters: (r) => queries.clusters({ ...r, viewer }),
    failures: (r) => queries.failures({ ...r, viewer }),
    kinds: (r) => queries.kinds({ ...r, viewer }),
  };
}
