/**
 * Enforces the query rules on every statement the store runs (cql.ts): each reads or writes ONE
 * partition, named by its full partition key; no ALLOW FILTERING, no secondary index, and no IN
 * except `name IN ?` in the summary reads (SUMMARY_IN_STATEMENTS: the rest of the key fixed, at
 * most SUMMARY_IN_MAX names bound, summary-reader.ts).
 */
import { describe, expect, it } from 'vitest';
import { CQL, SUMMARY_IN_MAX, SUMMARY_IN_STATEMENTS } from './cql.ts';
import { loadMigrations } from './migrate.ts';

function partitionKeys(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of loadMigrations().flatMap((m) => m.statements)) {
    const t = /^CREATE TABLE IF NOT EXISTS (\w+) \((.*)\)/.exec(s);
    if (!t) continue;
    const pk = /PRIMARY KEY \(\(([^)]*)\)/.exec(t[2]!) ?? /PRIMARY KEY \((\w+)/.exec(t[2]!) ?? /(\w+) \w+ PRIMARY KEY/.exec(t[2]!);
    out.set(t[1]!, pk![1]!.split(',').map((c) => c.trim()));
  }
  return out;
}

// Tiny bookkeeping tables read whole on purpose (a handful of rows, read once at start).
const WHOLE_TABLE_READS = new Set(['schema_version']);

describe('every CQL statement of the store', () => {
  const pks = partitionKeys();
  const entries = Object.entries(CQL);

  it('knows the partition key of every table', () => {
    expect(pks.get('revisions')).toEqual(['cluster', 'gk', 'namespace', 'name', 'bucket']);
    expect(pks.get('settings')).toEqual(['name']);
    expect(pks.get('clusters')).toEqual(['scope']);
  });

  it.each(entries)('%s restricts the whole partition key and nothing forbidden', (name, cql) => {
    expect(cql).not.toMatch(/ALLOW FILTERING|\bIN\s*\(|\bTOKEN\s*\(/i);
    const bounded = (SUMMARY_IN_STATEMENTS as readonly string[]).includes(name);
    expect(/\bIN\b/.test(cql), 'IN only where allowed').toBe(bounded);
    const table = /(?:FROM|INTO|UPDATE)\s+(\w+)/i.exec(cql)![1]!;
    if (WHOLE_TABLE_READS.has(table)) return;
    const cols = pks.get(table);
    expect(cols, `table ${table}`).toBeDefined();
    if (/^INSERT/i.test(cql)) {
      const insertCols = /\(([^)]*)\)\s*VALUES/i.exec(cql)![1]!.split(',').map((c) => c.trim());
      for (const c of cols!) expect(insertCols).toContain(c);
      return;
    }
    const where = /\bWHERE\b(.*)$/i.exec(cql)?.[1] ?? '';
    for (const c of cols!) {
      const restricted = bounded && c === 'name' ? 'name IN \\?' : `${c} = (\\?|'[^']*')`;
      expect(where, `${table}.${c}`).toMatch(new RegExp(`\\b${restricted}`));
    }
  });

  it('binds a bounded number of names where it reads several partitions', () => {
    expect(SUMMARY_IN_STATEMENTS.map((n) => CQL[n])).toEqual(SUMMARY_IN_STATEMENTS.map((n) => expect.stringContaining('PER PARTITION LIMIT')));
    expect(SUMMARY_IN_MAX).toBeLessThanOrEqual(100);
  });
});
