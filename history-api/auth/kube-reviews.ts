/**
 * TokenReview and SubjectAccessReview through @kubernetes/client-node with a kubeconfig's
 * credentials: the functions TokenReviewAuthenticator and SubjectAccessReviewAccess take.
 * kubetime's own identity needs `create` on tokenreviews and subjectaccessreviews (the chart's
 * ClusterRole grants it).
 */
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { AccessReviewSpec, AccessReviewStatus } from './access.ts';
import type { TokenReviewStatus } from './authenticator.ts';

export function kubeTokenReview(kc: KubeConfig): (token: string) => Promise<TokenReviewStatus> {
  const api = kc.makeApiClient(AuthenticationV1Api);
  return async (token) => {
    const review = await api.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    return (review.status ?? {}) as TokenReviewStatus;
  };
}

export function kubeSubjectAccessReview(kc: KubeConfig): (spec: AccessReviewSpec) => Promise<AccessReviewStatus> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  return async (spec) => {
    const review = await api.createSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec } });
    return { allowed: review.status?.allowed === true, ...(review.status?.denied ? { denied: true } : {}), ...(review.status?.reason ? { reason: review.status.reason } : {}) };
  };
}
