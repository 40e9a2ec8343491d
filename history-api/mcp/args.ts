/** The argument schemas the MCP tools share, with descriptions a model can act on. */
import { z } from 'zod';

export const kind = z.string().min(1).describe('Kind as kubectl takes it: Kind (Deployment), plural (pods), short name (deploy, po, svc, rs, no) or with group (widgets.example.com)');
export const name = z.string().min(1).describe('metadata.name of the object');
export const namespace = z.string().min(1).optional().describe('Namespace; required for a namespaced object, absent for cluster-scoped kinds (Node) or to cover every namespace');
export const cluster = z.string().min(1).optional().describe('Cluster name; only needed when kubetime records several clusters');
const timeText = 'RFC 3339 (2026-01-10T14:00:00Z), now, or now-<n><s|m|h|d> (now-10m)';
export const at = z.string().min(1).default('now').describe(`The moment to look at: ${timeText}. Default now`);
export const from = (dflt?: string) => (dflt ? z.string().min(1).default(dflt) : z.string().min(1)).describe(`Start of the window (inclusive): ${timeText}${dflt ? `. Default ${dflt}` : ''}`);
export const to = z.string().min(1).default('now').describe(`End of the window (inclusive): ${timeText}. Default now`);
export const limit = z.number().int().min(1).max(10_000).optional().describe('Most items in this page (the answer also stays within the token budget and says how to get the next page)');
export const cont = z.string().min(1).optional().describe('The continue token of the previous page; repeat the other arguments unchanged');
export const fields = z.array(z.string().min(1)).min(1).optional().describe("JSON paths to project each object to instead of the manifest, e.g. ['spec.replicas', 'spec.template.spec.containers[*].image']");
export const labelSelector = z.string().optional().describe('Label selector as kubectl -l takes it (app=web,tier in (a,b))');
export const fieldSelector = z.string().optional().describe('Field selector (status.phase=Running,spec.nodeName=node-1)');
export const view = (dflt: 'full' | 'summary') =>
  z.enum(['summary', 'full', 'raw']).default(dflt).describe(`summary: kubectl-get-like rows (READY, STATUS, RESTARTS, NODE, AGE as of the time); full: the manifest without managedFields and last-applied; raw: exactly as the API server returned it. Default ${dflt}`);
