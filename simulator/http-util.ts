/** Small HTTP helpers shared by the simulator's request handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResourceType } from './resources.ts';
import { apiError, failureStatus, type K8sStatus } from './status.ts';

/** The object a resource path addresses. */
export interface ApiTarget {
  type: ResourceType;
  /** Absent for cluster-scoped types and for all-namespace lists. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function sendJsonText(res: ServerResponse, code: number, json: string, headers: Record<string, string> = {}): void {
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json), ...headers });
  res.end(json);
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  sendJsonText(res, code, JSON.stringify(body));
}

export function sendStatus(res: ServerResponse, status: K8sStatus, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJsonText(res, status.code, JSON.stringify(status), headers);
}

export function notFoundPath(): K8sStatus {
  return failureStatus('NotFound', 'the server could not find the requested resource', {});
}

const MAX_BODY = 8 << 20;

/** Reads a request body as text (at most 8 MiB). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw apiError('BadRequest', 'request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON request body into an object. */
export function parseObject(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw apiError('BadRequest', 'the request body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw apiError('BadRequest', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes a large JSON list body as a stream of chunks, honouring backpressure. */
export async function streamList(res: ServerResponse, head: string, items: readonly string[], tail: string): Promise<void> {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  let chunk = head;
  for (let i = 0; i < items.length; i++) {
    chunk += (i ? ',' : '') + items[i];
    if (chunk.length >= 1 << 20) {
      if (!res.write(chunk)) await drained(res);
      if (res.destroyed) return;
      chunk = '';
    }
  }
  res.end(chunk + tail);
}
