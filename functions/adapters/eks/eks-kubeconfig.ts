import { KubeConfig, type User } from '@kubernetes/client-node';
import type { Clock } from '../../ports/clock';
import type { EksClusterEndpoint } from './describe';
import type { EksToken } from './token';

/** Refresh this long before the token's validity ends (15 min) — i.e. at ~12 min. */
export const REFRESH_BEFORE_EXPIRY_MS = 3 * 60_000;

const USER_NAME = 'eks-reflexion-iam';

/**
 * Holds one cluster's bearer token and makes a new one before the old one
 * expires. Concurrent callers share one refresh.
 */
export class EksTokenCache {
  private current?: EksToken;
  private pending?: Promise<EksToken>;

  constructor(
    private readonly source: () => Promise<EksToken>,
    private readonly clock: Clock,
    private readonly refreshBeforeMs = REFRESH_BEFORE_EXPIRY_MS,
  ) {}

  async token(): Promise<string> {
    const now = this.clock.now().getTime();
    if (this.current && now < this.current.expiresAt.getTime() - this.refreshBeforeMs) return this.current.token;
    this.pending ??= this.source().finally(() => (this.pending = undefined));
    this.current = await this.pending;
    return this.current.token;
  }
}

/**
 * A KubeConfig for an EKS cluster: the server and CA from DescribeCluster
 * (TLS verified against that CA, never skipped) and, instead of a static
 * token, an authenticator that asks the cache for a fresh IAM token on every
 * request.
 */
export function createEksKubeConfig(cluster: EksClusterEndpoint, tokens: EksTokenCache): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.endpoint, caData: cluster.caData, skipTLSVerify: false }],
    users: [{ name: USER_NAME }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: USER_NAME }],
    currentContext: cluster.name,
  });
  kubeConfig.addAuthenticator({
    isAuthProvider: (user: User) => user.name === USER_NAME,
    applyAuthentication: async (_user, opts) => {
      const token = await tokens.token();
      opts.headers = { ...(opts.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` };
    },
  });
  return kubeConfig;
}
