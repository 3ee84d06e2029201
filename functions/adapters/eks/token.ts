import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';

/** AWS credentials, or a provider of them (the SDK's default chain is one). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type AwsCredentialsSource = AwsCredentials | (() => Promise<AwsCredentials>);

export interface EksToken {
  /** `k8s-aws-v1.` + base64url (no padding) of the presigned STS GetCallerIdentity URL. */
  token: string;
  /** When the API server stops accepting it: 15 minutes after signing. */
  expiresAt: Date;
}

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** The authenticator accepts a token for 15 minutes from its X-Amz-Date. */
export const TOKEN_VALIDITY_MS = 15 * 60_000;
/** What `aws eks get-token` and aws-iam-authenticator sign with. */
const PRESIGN_EXPIRES_SECONDS = 60;
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

const InputSchema = z.object({
  // EKS cluster names: 1-100 chars, letters, digits, hyphen, underscore, starting alphanumeric.
  clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name (1-100 of A-Z a-z 0-9 - _)'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as eu-west-1'),
});

/** The STS host for a region (China partition regions end in .com.cn). */
export function stsHost(region: string): string {
  return region.startsWith('cn-') ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

/**
 * A bearer token for the EKS API server, made the way aws-iam-authenticator
 * and `aws eks get-token` make it: a SigV4-presigned STS GetCallerIdentity
 * URL whose signed headers include `x-k8s-aws-id: <cluster>`, so the token is
 * only good for that cluster. Nothing is sent to AWS here.
 */
export async function createEksToken(input: {
  clusterName: string;
  region: string;
  credentials: AwsCredentialsSource;
  now?: Date;
}): Promise<EksToken> {
  const parsed = InputSchema.safeParse({ clusterName: input.clusterName, region: input.region });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'input');
    throw new ValidationError(`${field}: ${issue?.message ?? 'invalid'}`, field);
  }
  const { clusterName, region } = parsed.data;
  const now = input.now ?? new Date();
  const host = stsHost(region);
  const signer = new SignatureV4({ credentials: input.credentials, region, service: 'sts', sha256: Sha256, uriEscapePath: true });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: host,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host, [CLUSTER_ID_HEADER]: clusterName },
  });
  let signed: HttpRequest;
  try {
    signed = (await signer.presign(request, { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: now })) as HttpRequest;
  } catch (error) {
    throw new ValidationError(`credentials: could not sign the STS request: ${(error as Error).message}`, 'credentials', { cause: error });
  }
  const query = Object.entries(signed.query)
    .flatMap(([key, value]) => (Array.isArray(value) ? value.map((v) => [key, v] as const) : [[key, value ?? ''] as const]))
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
  const url = `https://${host}/?${query}`;
  return {
    token: TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: new Date(now.getTime() + TOKEN_VALIDITY_MS),
  };
}
