import { describe, expect, it } from 'vitest';
import { REQUIRED_SCHEMA_VERSION } from './cassandra-history-store.ts';
import { loadMigrations, parseMigration, parseReplication, replicationCql, splitStatements, validateKeyspace } from './migrate.ts';

describe('splitStatements', () => {
  it('drops full-line comments and splits on a semicolon that ends a line', () => {
    const text = `-- header; with a semicolon
CREATE TABLE IF NOT EXISTS a (
  k text PRIMARY KEY -- trailing
) WITH comment = 'x; y';
  -- indented comment
CREATE TABLE IF NOT EXISTS b (k text PRIMARY KEY);
`;
    expect(splitStatements(text)).toEqual([
      "CREATE TABLE IF NOT EXISTS a ( k text PRIMARY KEY -- trailing ) WITH comment = 'x; y'",
      'CREATE TABLE IF NOT EXISTS b (k text PRIMARY KEY)',
    ]);
  });
});

describe('parseMigration', () => {
  it('takes the version and name from NNN_name.cql and checksums the statements', () => {
    const m = parseMigration('007_add_things.cql', 'CREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY);');
    expect(m).toMatchObject({ version: 7, name: 'add_things', statements: ['CREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY)'] });
    expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
    // Comments and layout do not change the checksum; statements do.
    expect(parseMigration('007_add_things.cql', '-- note\nCREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY);\n').checksum).toBe(m.checksum);
    expect(parseMigration('007_add_things.cql', 'CREATE TABLE IF NOT EXISTS t (k bigint PRIMARY KEY);').checksum).not.toBe(m.checksum);
  });

  it('refuses badly named or empty files', () => {
    expect(() => parseMigration('7_x.cql', 'SELECT 1;')).toThrow(/NNN_name/);
    expect(() => parseMigration('001_x.cql', '-- nothing\n')).toThrow(/no statement/);
  });
});

describe('the schema folder', () => {
  const migrations = loadMigrations();
  const statements = migrations.flatMap((m) => m.statements);
  const tables = statements.filter((s) => s.startsWith('CREATE TABLE'));

  it('ends at the version the store requires, numbered from 1 without gaps', () => {
    expect(migrations.map((m) => m.version)).toEqual(Array.from({ length: migrations.length }, (_, i) => i + 1));
    expect(migrations.at(-1)!.version).toBe(REQUIRED_SCHEMA_VERSION);
  });

  it('is idempotent: every table and index is created IF NOT EXISTS', () => {
    expect(tables.length).toBeGreaterThanOrEqual(10);
    for (const s of statements.filter((x) => x.startsWith('CREATE'))) expect(s).toMatch(/^CREATE \w+ IF NOT EXISTS/);
  });

  it('names what each table serves and uses TWCS for the time series', () => {
    for (const t of tables) expect(t).toMatch(/comment = '/);
    const twcs = tables.filter((t) => t.includes('TimeWindowCompactionStrategy')).map((t) => /CREATE TABLE IF NOT EXISTS (\w+)/.exec(t)![1]);
    expect(twcs.sort()).toEqual(['feed', 'feed_by_namespace', 'revision_bases', 'revisions']);
  });

  it('has no secondary index, materialized view or ALLOW FILTERING', () => {
    for (const s of statements) expect(s).not.toMatch(/CREATE (CUSTOM )?INDEX|MATERIALIZED VIEW|ALLOW FILTERING/i);
  });
});

describe('replication', () => {
  it('parses the configuration forms', () => {
    expect(parseReplication('SimpleStrategy:3')).toEqual({ class: 'SimpleStrategy', replicationFactor: 3 });
    expect(parseReplication('NetworkTopologyStrategy:dc1=3, dc2=2')).toEqual({ class: 'NetworkTopologyStrategy', dataCenters: { dc1: 3, dc2: 2 } });
    expect(() => parseReplication('SimpleStrategy')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseReplication('NetworkTopologyStrategy:dc1')).toThrow(/dc1/);
    expect(() => parseReplication('Everywhere:1')).toThrow(/SimpleStrategy/);
  });

  it('renders CQL maps and refuses injection through names', () => {
    expect(replicationCql({ class: 'SimpleStrategy', replicationFactor: 1 })).toBe("{'class': 'SimpleStrategy', 'replication_factor': 1}");
    expect(replicationCql('NetworkTopologyStrategy:eu-west=3')).toBe("{'class': 'NetworkTopologyStrategy', 'eu-west': 3}");
    expect(() => replicationCql({ class: 'NetworkTopologyStrategy', dataCenters: { "x'}; DROP": 1 } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => replicationCql({ class: 'SimpleStrategy', replicationFactor: 0 })).toThrow(/positive/);
  });
});

describe('validateKeyspace', () => {
  it('accepts CQL identifiers and refuses anything else', () => {
    expect(validateKeyspace('kubetime_prod')).toBe('kubetime_prod');
    for (const bad of ['Kubetime', '1abc', 'a-b', 'a;DROP', '', 'x'.repeat(49)]) {
      expect(() => validateKeyspace(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
