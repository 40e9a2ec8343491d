import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { rootLogger } from './logger.ts';

function captured() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  return { lines, logger: rootLogger('info', { destination: stream }) };
}

const componentKeys = (line: string) => line.match(/"component":/g)?.length ?? 0;

describe('rootLogger', () => {
  it("prints one component key on a child's child, the path of both", () => {
    const { lines, logger } = captured();
    logger.child({ component: 'ingester' }).child({ component: 'informer', gk: 'Pod' }).info('listed');
    expect(componentKeys(lines[0]!)).toBe(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'kubetime', component: 'ingester/informer', gk: 'Pod', msg: 'listed' });
  });

  it('keeps one name when parent and child say the same, and leaves single components and other children alone', () => {
    const { lines, logger } = captured();
    const compactor = logger.child({ component: 'compactor' });
    compactor.child({ component: 'compactor' }).info('a');
    compactor.child({ cluster: 'c1' }).child({ component: 'snapshot "x"' }).info('b');
    logger.child({ reqId: 'r1' }).info('c');
    expect(lines.map((l) => componentKeys(l))).toEqual([1, 1, 0]);
    expect(lines.map((l) => (JSON.parse(l) as { component?: string }).component)).toEqual(['compactor', 'compactor/snapshot "x"', undefined]);
    expect(JSON.parse(lines[1]!)).toMatchObject({ cluster: 'c1' });
  });
});
