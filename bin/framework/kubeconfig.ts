import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command as Commander } from 'commander';
import type { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { UsageError } from './errors';

/** The flags every command that reads a cluster shares. */
export interface KubeconfigFlags {
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
}

export function kubeconfigOptions(cmd: Commander): Commander {
  return cmd
    .option('--kubeconfig <path>', 'kubeconfig file (default: the first file of $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', "kubeconfig context (default: the kubeconfig's current context)")
    .option('--cluster-name <name>', "name recorded in incidents and used by payloads' cluster_name (default: the context's name)");
}

/** The one kubeconfig resolution: --kubeconfig, then the first entry of $KUBECONFIG, then ~/.kube/config. */
export function kubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag) return resolve(flag);
  const fromEnv = env.KUBECONFIG?.split(':').find((p) => p.length > 0);
  if (fromEnv) return resolve(fromEnv);
  return join(env.HOME ?? homedir(), '.kube', 'config');
}

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

/**
 * Opens the cluster a kubeconfig names. The cluster name defaults to the
 * context's name (what `kubectl config current-context` prints). A missing or
 * unreadable kubeconfig, or an unknown context, is a UsageError naming it.
 */
export async function openCluster(
  flags: KubeconfigFlags,
  env: NodeJS.ProcessEnv,
  options: { clock?: { now(): Date } } = {},
): Promise<{ cluster: KubeCluster; path: string; context: string; clusterName: string }> {
  const path = kubeconfigPath(flags.kubeconfig, env);
  const [{ KubeConfig }, { KubeCluster }] = await Promise.all([import('@kubernetes/client-node'), import('../../functions/adapters/kubernetes/kube-cluster')]);
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (e) {
    throw new UsageError(`--kubeconfig ${path}: ${(e as Error).message}`);
  }
  const context = flags.context ?? kc.getCurrentContext();
  if (!context) throw new UsageError(`${path} has no current context; pass --context`);
  if (!kc.getContextObject(context)) {
    throw new UsageError(`context '${context}' is not in ${path} (has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`);
  }
  const clusterName = flags.clusterName ?? context;
  if (!CLUSTER_NAME.test(clusterName)) throw new UsageError(`--cluster-name '${clusterName}' must be 1-100 of letters, digits, '.', '_', ':', '/', '-'`);
  const cluster = KubeCluster.fromKubeconfigFile(path, { context, clusterName, ...(options.clock ? { clock: options.clock } : {}) });
  return { cluster, path, context, clusterName };
}
