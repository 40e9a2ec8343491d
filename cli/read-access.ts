/**
 * Who may read, from the configuration (docs/access.md): the Authenticator and Access adapters
 * the HTTP API (and later surfaces) use, and the one start-up log line that says what reads are
 * served to whom.
 */
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Access } from '../core/access.ts';
import { allowAllAccess, CachedAccess, PolicyFileAccess, SubjectAccessReviewAccess } from '../history-api/auth/access.ts';
import { TokenFileAuthenticator, TokenReviewAuthenticator, type Authenticator } from '../history-api/auth/authenticator.ts';
import { kubeSubjectAccessReview, kubeTokenReview } from '../history-api/auth/kube-reviews.ts';
import type { ReadAuth } from '../history-api/auth/read-auth.ts';
import type { MetricsRegistry } from '../history-api/metrics.ts';
import type { Config } from './config.ts';
import { loadKubeConfig } from './kubeconfig.ts';

/** Whether `host` accepts connections from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

type AccessConfig = Pick<Config, 'authn' | 'authz' | 'tokenFile' | 'policyFile' | 'opsOpen' | 'host' | 'cluster' | 'kubeconfig' | 'context'>;

export interface ReadAuthDeps {
  logger: Pick<Logger, 'info' | 'warn'>;
  /** The watched cluster's kubeconfig; absent = loaded from the configuration when needed. */
  kubeconfig?: KubeConfig;
  /** Where the decision cache counts its lookups (kubetime_access_decisions_total). */
  metrics?: MetricsRegistry;
}

export function createReadAuth(config: AccessConfig, { logger, kubeconfig, metrics }: ReadAuthDeps): ReadAuth {
  const authz = config.authz ?? (config.authn === 'tokenreview' ? 'rbac' : 'allow-all');
  let kc = kubeconfig;
  const cluster = () => (kc ??= loadKubeConfig({ kubeconfig: config.kubeconfig, context: config.context }));
  let authenticator: Authenticator | undefined;
  if (config.authn === 'tokenreview') authenticator = new TokenReviewAuthenticator({ review: kubeTokenReview(cluster()) });
  if (config.authn === 'token-file') authenticator = TokenFileAuthenticator.fromFile(config.tokenFile!);
  const lookups = metrics?.counter({
    name: 'kubetime_access_decisions_total',
    help: 'Read authorization decisions asked of the decision cache, by whether the cache answered (hit) or the authorizer was asked (miss).',
    labelNames: ['cache'],
  });
  const cached = (inner: Access) => new CachedAccess(inner, { onLookup: (hit) => lookups?.inc({ cache: hit ? 'hit' : 'miss' }) });
  let access: Access = allowAllAccess;
  if (authz === 'rbac') access = cached(new SubjectAccessReviewAccess(new Map([[config.cluster ?? 'default', kubeSubjectAccessReview(cluster())]])));
  if (authz === 'policy') access = cached(PolicyFileAccess.fromFile(config.policyFile!));
  const loopback = isLoopback(config.host);
  const ops = config.opsOpen ? 'open' : 'authenticated';
  if (authenticator) {
    logger.info({ authn: config.authn, authz, host: config.host, ops }, `reads: authenticated by ${config.authn}, authorized by ${authz}`);
  } else if (loopback) {
    logger.info({ authn: 'none', host: config.host, ops }, 'reads: served to every caller without authentication (listening on loopback only)');
  } else {
    logger.warn({ authn: 'none', host: config.host, ops }, `reads: refused (401): listening on ${config.host} beyond loopback without authentication; set --authn tokenreview or token-file`);
  }
  return { ...(authenticator ? { authenticator } : {}), access, anonymous: loopback ? 'trusted' : 'refused', openOps: config.opsOpen };
}
