import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { z } from 'zod';
import { KubeError, KubeForbidden, KubeNotFound, KubeThrottled, KubeUnauthorized, KubeUnavailable, ValidationError } from '../../domain/errors';

/** What a client needs to reach one EKS cluster's API server. */
export interface EksClusterEndpoint {
  name: string;
  /** https URL of the API server. */
  endpoint: string;
  /** Base64 of the cluster CA bundle (PEM), exactly as DescribeCluster returns it. */
  caData: string;
}

const ClusterNameSchema = z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _)');

const DescribedSchema = z.object({
  status: z.string().optional(),
  endpoint: z.string().url().refine((u) => u.startsWith('https://'), 'must be an https URL'),
  certificateAuthority: z.object({
    data: z
      .string()
      .min(1)
      .refine((d) => Buffer.from(d, 'base64').toString('utf8').includes('-----BEGIN CERTIFICATE-----'), 'must be base64 of a PEM certificate'),
  }),
});

/**
 * Endpoint and CA of EKS clusters from `DescribeCluster`, cached for the life
 * of the instance (one Lambda cold start): both are fixed for a cluster's life.
 * A failed lookup is not cached, so the next call tries again.
 */
export class EksClusterDescriber {
  private readonly cache = new Map<string, Promise<EksClusterEndpoint>>();

  constructor(private readonly eks: EKSClient) {}

  describe(name: string): Promise<EksClusterEndpoint> {
    const parsed = ClusterNameSchema.safeParse(name);
    if (!parsed.success) {
      return Promise.reject(new ValidationError(`clusterName: ${parsed.error.issues[0]?.message ?? 'invalid'} (got ${JSON.stringify(name)})`, 'clusterName'));
    }
    let found = this.cache.get(name);
    if (!found) {
      found = this.fetch(name);
      this.cache.set(name, found);
      found.catch(() => this.cache.delete(name));
    }
    return found;
  }

  private async fetch(name: string): Promise<EksClusterEndpoint> {
    let cluster: unknown;
    try {
      cluster = (await this.eks.send(new DescribeClusterCommand({ name }))).cluster;
    } catch (error) {
      throw describeError(error, name);
    }
    const parsed = DescribedSchema.safeParse(cluster);
    if (!parsed.success) {
      const status = (cluster as { status?: unknown } | undefined)?.status;
      const issue = parsed.error.issues[0];
      // A cluster being created has no endpoint yet: worth retrying later.
      throw new KubeUnavailable(
        `DescribeCluster ${name}: ${issue?.path.join('.') || 'cluster'} ${issue?.message ?? 'invalid'} (status ${String(status ?? 'unknown')})`,
      );
    }
    return { name, endpoint: parsed.data.endpoint, caData: parsed.data.certificateAuthority.data };
  }
}

function describeError(error: unknown, name: string): KubeError {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const text = `DescribeCluster ${name}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
  if (e.name === 'CredentialsProviderError') return new KubeUnauthorized(text, undefined, { cause: error });
  if (e.name === 'ResourceNotFoundException') return new KubeNotFound(text, status ?? 404, { cause: error });
  if (e.name === 'AccessDeniedException' || status === 403) return new KubeForbidden(text, status ?? 403, { cause: error });
  if (e.name === 'ThrottlingException' || e.name === 'TooManyRequestsException' || status === 429) {
    return new KubeThrottled(text, status ?? 429, { cause: error });
  }
  return new KubeUnavailable(text, status, { cause: error });
}
