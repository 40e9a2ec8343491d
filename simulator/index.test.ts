import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startSimulator } from './index.ts';

describe('startSimulator', () => {
  it('starts in seconds on the real clock, changes by itself, posts audit batches, and stops cleanly', async () => {
    const received: string[] = [];
    const sink = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        for (const e of JSON.parse(body).items) received.push(e.auditID);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const started = Date.now();
    const sim = await startSimulator({
      tickMs: 50,
      scenario: { seed: 2, churnPerSecond: 40, delayScale: 0.1 },
      audit: { url: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/audit`, batchMaxWaitMs: 50 },
    });
    try {
      expect(Date.now() - started).toBeLessThan(3000);
      const kubeconfig = parse(readFileSync(sim.kubeconfigPath, 'utf8'));
      expect(kubeconfig['current-context']).toBe('kubetime-sim');
      expect(kubeconfig.clusters[0].cluster.server).toBe(sim.url);
      const list = (await (await fetch(`${sim.url}/api/v1/pods`)).json()) as { items: unknown[] };
      expect(list.items.length).toBe(24);
      const rv0 = sim.cluster.resourceVersion;
      await new Promise((r) => setTimeout(r, 800));
      expect(sim.cluster.resourceVersion).toBeGreaterThan(rv0 + 5);
      await sim.audit!.flush();
      const audited = sim.groundTruth().filter((r) => r.audited).length;
      expect(received.length).toBeGreaterThanOrEqual(audited - 5);
      expect(new Set(received).size).toBe(received.length);
    } finally {
      await sim.stop();
      await new Promise((r) => sink.close(r));
    }
    expect(existsSync(dirname(sim.kubeconfigPath))).toBe(false);
    await expect(fetch(`${sim.url}/version`)).rejects.toThrow();
  });
});
