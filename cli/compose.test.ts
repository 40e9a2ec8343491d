import { describe, expect, it } from 'vitest';
import { onShutdown, shutdown, type App } from './compose.ts';

function emptyStops(): App['stops'] {
  return { sources: [], api: [], compactor: [], writes: [], store: [] };
}

describe('shutdown', () => {
  it('stops phase by phase whatever the order of registration, the last registered of a phase first', async () => {
    const order: string[] = [];
    const warnings: unknown[] = [];
    const app = { stops: emptyStops(), logger: { warn: (o: unknown) => warnings.push(o) } as unknown as App['logger'] };
    const stop = (name: string) => async () => { order.push(name); };
    onShutdown(app, 'store', stop('store'));
    onShutdown(app, 'writes', stop('pipeline'));
    onShutdown(app, 'writes', stop('attributions settle'));
    onShutdown(app, 'api', stop('http server'));
    onShutdown(app, 'sources', stop('simulator'));
    onShutdown(app, 'sources', stop('watches'));
    onShutdown(app, 'compactor', async () => { throw new Error('compactor stuck'); });
    await shutdown(app);
    expect(order).toEqual(['watches', 'simulator', 'http server', 'attributions settle', 'pipeline', 'store']);
    expect(warnings).toMatchObject([{ phase: 'compactor', err: { message: 'compactor stuck' } }]);
  });

  it('goes on past a stop that never finishes, says so, and still stops the store', async () => {
    const order: string[] = [];
    const warnings: unknown[] = [];
    const app = { stops: emptyStops(), logger: { warn: (o: unknown) => warnings.push(o) } as unknown as App['logger'] };
    onShutdown(app, 'writes', () => new Promise<void>(() => undefined)); // e.g. attributions that never settle
    onShutdown(app, 'store', async () => { order.push('store'); });
    await shutdown(app, 20);
    expect(order).toEqual(['store']);
    expect(warnings).toMatchObject([{ phase: 'writes', timeoutMs: 20 }]);
  });
});
