/** Loading the kubeconfig of the cluster to watch (and to review tokens and access against). */
import { KubeConfig } from '@kubernetes/client-node';
import { KubetimeError } from '../core/errors.ts';

export function loadKubeConfig(opts: { kubeconfig?: string; context?: string }): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
    if (opts.context) kc.setCurrentContext(opts.context);
  } catch (e) {
    throw new KubetimeError('INVALID_ARGUMENT', `kubeconfig: cannot load ${opts.kubeconfig ?? 'the default kubeconfig'}${opts.context ? ` (context ${opts.context})` : ''}`, { param: 'kubeconfig' }, { cause: e });
  }
  if (!kc.getCurrentCluster()) {
    throw new KubetimeError('INVALID_ARGUMENT', 'kubeconfig: no current cluster; pass --kubeconfig / --context, or --no-watch to run without one', { param: 'kubeconfig' });
  }
  return kc;
}
