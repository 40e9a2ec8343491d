/**
 * Who can reach the audit sink. An audit event's time and actor win over the watch's, so an open
 * sink lets anyone who reaches the port rewrite who changed what and when. Beyond loopback the
 * sink therefore requires a bearer token (KUBETIME_AUDIT_TOKEN) or client certificates
 * (KUBETIME_AUDIT_CLIENT_CA_FILE, over TLS); without either, `serve` refuses to start. On
 * loopback it stays open for development. KUBETIME_AUDIT_SINK=false serves no sink at all.
 */
import { KubetimeError } from '../core/errors.ts';
import type { Config } from './config.ts';

/** Whether `host` accepts connections from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/** @throws KubetimeError INVALID_ARGUMENT when the sink would be open beyond loopback. */
export function checkSinkExposure(config: Pick<Config, 'host' | 'auditSink' | 'auditToken' | 'auditClientCaFile'>): void {
  if (!config.auditSink || isLoopbackHost(config.host) || config.auditToken || config.auditClientCaFile) return;
  throw new KubetimeError(
    'INVALID_ARGUMENT',
    `the audit sink (POST /v1/audit) would accept anyone reaching ${config.host}: anyone could rewrite who changed what and when. `
      + 'Set KUBETIME_AUDIT_TOKEN (--audit-token) or KUBETIME_AUDIT_CLIENT_CA_FILE (--audit-client-ca-file, with TLS), '
      + 'listen on loopback (--host 127.0.0.1), or serve no sink (KUBETIME_AUDIT_SINK=false, --no-audit-sink)',
    { param: 'host' },
  );
}
