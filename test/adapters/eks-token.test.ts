import { createHash, createHmac } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { EKSClient } from '@aws-sdk/client-eks';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEksClusterFactory } from '../../functions/adapters/eks/cluster-factory';
import { EksClusterDescriber } from '../../functions/adapters/eks/describe';
import { createEksKubeConfig, EksTokenCache } from '../../functions/adapters/eks/eks-kubeconfig';
import { createEksToken, TOKEN_PREFIX, type EksToken } from '../../functions/adapters/eks/token';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { KubeError, KubeNotFound, KubeUnavailable, ValidationError } from '../../functions/domain/errors';
import { VirtualClock } from '../sim/clock';

const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = new Date('2026-03-01T10:20:30Z');

/**
 * The checks aws-iam-authenticator's verifier (pkg/token/token.go, Verify)
 * applies before it forwards the URL to STS. Returns the parsed URL.
 */
function verifyLikeAuthenticator(token: string, region: string, now: Date): URL {
  expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
  expect(Buffer.byteLength(token)).toBeLessThanOrEqual(4096);
  const encoded = token.slice(TOKEN_PREFIX.length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
  const url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  expect(url.protocol).toBe('https:');
  expect(url.hostname).toBe(`sts.${region}.amazonaws.com`);
  expect(url.pathname).toBe('/');
  const allowed = new Set([
    'action',
    'version',
    'x-amz-algorithm',
    'x-amz-credential',
    'x-amz-date',
    'x-amz-expires',
    'x-amz-security-token',
    'x-amz-signature',
    'x-amz-signedheaders',
  ]);
  const seen = new Map<string, number>();
  for (const key of url.searchParams.keys()) seen.set(key.toLowerCase(), (seen.get(key.toLowerCase()) ?? 0) + 1);
  for (const [key, count] of seen) {
    expect(allowed.has(key), `query parameter ${key} is not allowed`).toBe(true);
    expect(count, `query parameter ${key} appears ${count} times`).toBe(1);
  }
  expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
  expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toContain('x-k8s-aws-id');
  const expires = Number(url.searchParams.get('X-Amz-Expires'));
  expect(expires).toBeGreaterThan(0);
  expect(expires).toBeLessThanOrEqual(900);
  const date = url.searchParams.get('X-Amz-Date') ?? '';
  expect(date).toMatch(/^\d{8}T\d{6}Z$/);
  const signedAt = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  // "Fresh": signed within the authenticator's 15-minute window of now.
  expect(Math.abs(now.getTime() - signedAt)).toBeLessThan(15 * 60_000);
  return url;
}

/** RFC 3986 encoding, as SigV4's canonical query string requires. */
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** SigV4 recomputed from the spec with node:crypto only (no SDK code). */
function recomputeSignature(url: URL, headers: Record<string, string>, secretAccessKey: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const canonicalQuery = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headers[h]?.trim()}\n`).join('');
  const emptyPayloadHash = createHash('sha256').update('').digest('hex');
  const canonicalRequest = ['GET', '/', canonicalQuery, canonicalHeaders, signedHeaders.join(';'), emptyPayloadHash].join('\n');
  const [, day, region, service, terminator] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/');
  const scope = `${day}/${region}/${service}/${terminator}`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    url.searchParams.get('X-Amz-Date'),
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const kDate = hmac(`AWS4${secretAccessKey}`, day!);
  const kRegion = hmac(kDate, region!);
  const kService = hmac(kRegion, service!);
  const kSigning = hmac(kService, 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
}

describe('createEksToken', () => {
  it.each([
    // Long-lived IAM user keys: no security token parameter.
    { why: 'static keys', credentials: creds, region: 'eu-west-1' },
    // Lambda role credentials carry a session token, which must be signed in as X-Amz-Security-Token.
    { why: 'session credentials from a provider', credentials: async () => ({ ...creds, sessionToken: 'FwoGZXIvYXdzE//session+token=' }), region: 'us-east-2' },
  ])('passes the authenticator checks and its SigV4 signature recomputes ($why)', async ({ credentials, region }) => {
    // Act
    const { token, expiresAt } = await createEksToken({ clusterName: 'prod-eks', region, credentials, now: NOW });
    // Assert
    const url = verifyLikeAuthenticator(token, region, NOW);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260301T102030Z');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(`AKIDEXAMPLE/20260301/${region}/sts/aws4_request`);
    const c = typeof credentials === 'function' ? await credentials() : credentials;
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe((c as { sessionToken?: string }).sessionToken ?? null);
    const expected = recomputeSignature(url, { host: url.hostname, 'x-k8s-aws-id': 'prod-eks' }, creds.secretAccessKey);
    expect(url.searchParams.get('X-Amz-Signature')).toBe(expected);
    expect(expiresAt.toISOString()).toBe('2026-03-01T10:35:30.000Z');
  });

  it('binds the token to its cluster: another cluster name breaks the signature', async () => {
    // A token for cluster A replayed against cluster B must not verify.
    const { token } = await createEksToken({ clusterName: 'cluster-a', region: 'eu-west-1', credentials: creds, now: NOW });
    const url = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
    const forB = recomputeSignature(url, { host: url.hostname, 'x-k8s-aws-id': 'cluster-b' }, creds.secretAccessKey);
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(forB);
  });

  it.each([
    { why: 'empty cluster name', input: { clusterName: '', region: 'eu-west-1' }, field: 'clusterName' },
    { why: 'cluster name with a slash would change the signed header', input: { clusterName: 'a/b', region: 'eu-west-1' }, field: 'clusterName' },
    { why: 'region that is not one would sign for a foreign host', input: { clusterName: 'x', region: 'evil.com/' }, field: 'region' },
  ])('refuses bad input: $why', async ({ input, field }) => {
    const error = await createEksToken({ ...input, credentials: creds, now: NOW }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it('a credentials provider that fails gives a clear error without secrets', async () => {
    const error = await createEksToken({
      clusterName: 'x',
      region: 'eu-west-1',
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain('Could not load credentials');
  });
});

describe('EksClusterDescriber through the real EKSClient', () => {
  let server: HttpServer;
  let requests: string[] = [];
  let eks: EKSClient;
  const ca = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const name = decodeURIComponent(req.url?.split('/')[2] ?? '');
      const reply = (status: number, body: unknown, type?: string) => {
        res.writeHead(status, { 'content-type': 'application/json', ...(type ? { 'x-amzn-errortype': type } : {}) });
        res.end(JSON.stringify(body));
      };
      if (name === 'prod') {
        reply(200, { cluster: { name, status: 'ACTIVE', endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com', certificateAuthority: { data: ca } } });
      } else if (name === 'creating') {
        reply(200, { cluster: { name, status: 'CREATING' } });
      } else {
        reply(404, { message: `No cluster found for name: ${name}.` }, 'ResourceNotFoundException');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    eks = new EKSClient({ region: 'eu-west-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, credentials: creds, maxAttempts: 1 });
  });

  afterAll(async () => {
    eks.destroy();
    await new Promise((r) => server.close(r));
  });

  it('reads endpoint and CA, and asks AWS once per cluster per instance', async () => {
    requests = [];
    const describer = new EksClusterDescriber(eks);
    const first = await describer.describe('prod');
    const second = await describer.describe('prod');
    expect(first).toEqual({ name: 'prod', endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com', caData: ca });
    expect(second).toBe(first);
    expect(requests).toEqual(['GET /clusters/prod']);
  });

  it('a missing cluster → KubeNotFound with the service message, not cached', async () => {
    requests = [];
    const describer = new EksClusterDescriber(eks);
    const error = await describer.describe('ghost').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeNotFound);
    expect((error as Error).message).toContain('No cluster found for name: ghost');
    await describer.describe('ghost').catch(() => undefined);
    expect(requests).toHaveLength(2);
  });

  it('a cluster still being created (no endpoint) → KubeUnavailable, retryable', async () => {
    const error = await new EksClusterDescriber(eks).describe('creating').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeUnavailable);
    expect((error as Error).message).toMatch(/endpoint.*CREATING/);
  });

  it('a bad cluster name is refused without calling AWS', async () => {
    requests = [];
    await expect(new EksClusterDescriber(eks).describe('../x')).rejects.toBeInstanceOf(ValidationError);
    expect(requests).toEqual([]);
  });
});

describe('EKS kubeconfig: token refresh and TLS against the cluster CA', () => {
  let server: HttpsServer;
  let url = '';
  let caData = '';
  let otherCaData = '';
  const seen: string[] = [];

  beforeAll(async () => {
    const options = {
      keyType: 'ec' as const,
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints' as const, cA: true },
        { name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }] },
      ],
    };
    const [pems, other] = await Promise.all([
      generate([{ name: 'commonName', value: 'eks-test' }], options),
      generate([{ name: 'commonName', value: 'someone-else' }], options),
    ]);
    caData = Buffer.from(pems.cert).toString('base64');
    otherCaData = Buffer.from(other.cert).toString('base64');
    server = createHttpsServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', creationTimestamp: '2026-03-01T10:00:00Z' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  /** A token source that numbers its tokens and expires them 15 min after the clock's now. */
  const numberedTokens = (clock: VirtualClock) => {
    let n = 0;
    const source = async (): Promise<EksToken> => {
      n += 1;
      return { token: `k8s-aws-v1.token-${n}`, expiresAt: new Date(clock.now().getTime() + 15 * 60_000) };
    };
    return { source, count: () => n };
  };

  it.each([
    // Still well inside validity: reuse, no signing work per request.
    { why: 'reused at 11 min', advance: 11 * 60, expected: 'token-1', made: 1 },
    // Inside the last 3 minutes: a new token before the server would refuse the old one.
    { why: 'refreshed at 12.5 min', advance: 12.5 * 60, expected: 'token-2', made: 2 },
    // Long idle (Lambda kept warm): never hands out an expired token.
    { why: 'refreshed after expiry', advance: 20 * 60, expected: 'token-2', made: 2 },
  ])('token $why', async ({ advance, expected, made }) => {
    const clock = new VirtualClock(NOW);
    const tokens = numberedTokens(clock);
    const cache = new EksTokenCache(tokens.source, clock);
    expect(await cache.token()).toBe('k8s-aws-v1.token-1');
    await clock.advance(advance, 60);
    expect(await cache.token()).toBe(`k8s-aws-v1.${expected}`);
    expect(tokens.count()).toBe(made);
  });

  it('concurrent requests share one refresh', async () => {
    const clock = new VirtualClock(NOW);
    const tokens = numberedTokens(clock);
    const cache = new EksTokenCache(tokens.source, clock);
    const all = await Promise.all([cache.token(), cache.token(), cache.token()]);
    expect(new Set(all).size).toBe(1);
    expect(tokens.count()).toBe(1);
  });

  it('KubeCluster over the EKS kubeconfig sends the current IAM token and verifies TLS with the cluster CA', async () => {
    const clock = new VirtualClock(NOW);
    const tokens = numberedTokens(clock);
    const cache = new EksTokenCache(tokens.source, clock);
    const cluster = new KubeCluster({ clusterName: 'prod', kubeConfig: createEksKubeConfig({ name: 'prod', endpoint: url, caData }, cache), clock });
    seen.length = 0;
    const pod = await cluster.getPod('default', 'p');
    await clock.advance(13 * 60, 60);
    await cluster.getPod('default', 'p');
    // Exactly as the server sent it.
    expect(pod.metadata?.creationTimestamp).toBe('2026-03-01T10:00:00Z');
    expect(seen).toEqual(['Bearer k8s-aws-v1.token-1', 'Bearer k8s-aws-v1.token-2']);
  });

  it('a server whose certificate the cluster CA did not sign is refused, and the token is not in the error', async () => {
    const clock = new VirtualClock(NOW);
    const cache = new EksTokenCache(numberedTokens(clock).source, clock);
    const cluster = new KubeCluster({ clusterName: 'prod', kubeConfig: createEksKubeConfig({ name: 'prod', endpoint: url, caData: otherCaData }, cache), clock });
    seen.length = 0;
    const error = await cluster.getPod('default', 'p').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect((error as Error).message).toMatch(/TLS verification|certificate/i);
    expect((error as Error).message).not.toContain('token-1');
    expect(seen).toEqual([]);
  });

  it('the factory builds one Cluster per name from DescribeCluster and caches it', async () => {
    let describes = 0;
    const eks = {
      send: async () => {
        describes += 1;
        return { cluster: { status: 'ACTIVE', endpoint: url, certificateAuthority: { data: caData } } };
      },
    } as unknown as EKSClient;
    const factory = createEksClusterFactory({ eks, region: 'eu-west-1', credentials: creds, clock: new VirtualClock(NOW) });
    const [a, b] = await Promise.all([factory('prod'), factory('prod')]);
    expect(a).toBe(b);
    expect(a.clusterName).toBe('prod');
    expect(describes).toBe(1);
    seen.length = 0;
    await a.getPod('default', 'p');
    // The token the factory's cluster sends is a real presigned-STS token for this cluster and region.
    const token = seen[0]!.replace(/^Bearer /, '');
    const signed = verifyLikeAuthenticator(token, 'eu-west-1', NOW);
    expect(signed.searchParams.get('X-Amz-Signature')).toBe(
      recomputeSignature(signed, { host: signed.hostname, 'x-k8s-aws-id': 'prod' }, creds.secretAccessKey),
    );
  });
});
