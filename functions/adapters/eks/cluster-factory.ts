import type { EKSClient } from '@aws-sdk/client-eks';
import type { Clock } from '../../ports/clock';
import type { Cluster } from '../../ports/cluster';
import { KubeCluster, type KubeClusterOptions } from '../kubernetes/kube-cluster';
import { EksClusterDescriber } from './describe';
import { createEksKubeConfig, EksTokenCache } from './eks-kubeconfig';
import { createEksToken, type AwsCredentialsSource } from './token';

export interface EksClusterFactoryOptions {
  eks: EKSClient;
  region: string;
  credentials: AwsCredentialsSource;
  clock: Clock;
  /** Passed to each KubeCluster (page size, request timeout). */
  kube?: Pick<KubeClusterOptions, 'pageSize' | 'requestTimeoutMs'>;
}

/**
 * `AppDeps.cluster` for Lambda: one Cluster per EKS cluster name, built on
 * first use (DescribeCluster, then IAM tokens refreshed before expiry) and
 * cached for the cold start. A failed build is not cached.
 */
export function createEksClusterFactory(options: EksClusterFactoryOptions): (name: string) => Promise<Cluster> {
  const describer = new EksClusterDescriber(options.eks);
  const clusters = new Map<string, Promise<Cluster>>();
  return (name) => {
    let found = clusters.get(name);
    if (!found) {
      found = (async () => {
        const endpoint = await describer.describe(name);
        const tokens = new EksTokenCache(
          () => createEksToken({ clusterName: name, region: options.region, credentials: options.credentials, now: options.clock.now() }),
          options.clock,
        );
        return new KubeCluster({ ...options.kube, clusterName: name, kubeConfig: createEksKubeConfig(endpoint, tokens), clock: options.clock });
      })();
      clusters.set(name, found);
      found.catch(() => clusters.delete(name));
    }
    return found;
  };
}
