/** Test helper: runs a query command against a fake fetch (no server), recording every URL asked. */
import { runClientCommand, type ClientIO } from './index.ts';

export interface Run { code: number; stdout: string; stderr: string; urls: URL[] }
export type Reply = { status?: number; body: unknown };

/** Runs a command against a fake fetch that answers `respond(url)` and records every URL. */
export async function runWithFakeFetch(argv: string[], respond: (url: URL) => Reply = () => ({ body: {} }), server?: string): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const urls: URL[] = [];
  const fetch = (async (input: URL | string) => {
    const url = new URL(String(input));
    urls.push(url);
    const r = respond(url);
    return new Response(typeof r.body === 'string' ? r.body : JSON.stringify(r.body), { status: r.status ?? 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  const io: ClientIO = { stdout: { write: (t: string) => (stdout += t) }, stderr: (t: string) => (stderr += t), server: server ?? 'http://kt.example:8080', fetch };
  const code = await runClientCommand(argv, io);
  return { code, stdout, stderr, urls };
}
