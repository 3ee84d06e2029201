import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getToken } from '../../bin/commands/get-token';
import { createEksToken, TOKEN_PREFIX } from '../../functions/adapters/eks/token';

const run = promisify(execFile);
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = new Date('2026-03-01T10:20:30Z');

async function invoke(argv: string[], options: { env?: NodeJS.ProcessEnv; fail?: boolean } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await getToken(argv, {
    env: options.env ?? {},
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    credentials: options.fail
      ? async () => {
          throw new Error('Could not load credentials from any providers');
        }
      : async () => creds,
    now: () => NOW,
  });
  return { code, stdout, stderr };
}

describe('eks-reflexion get-token', () => {
  it('prints the ExecCredential that aws eks get-token prints, holding the signed token', async () => {
    const { code, stdout, stderr } = await invoke(['--cluster-name', 'prod', '--region', 'eu-west-1']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const credential = JSON.parse(stdout) as { kind: string; apiVersion: string; status: { token: string; expirationTimestamp: string } };
    expect(credential.kind).toBe('ExecCredential');
    expect(credential.apiVersion).toBe('client.authentication.k8s.io/v1beta1');
    // 14 minutes: kubectl asks for a new token a minute before the server would refuse it.
    expect(credential.status.expirationTimestamp).toBe('2026-03-01T10:34:30Z');
    const expected = await createEksToken({ clusterName: 'prod', region: 'eu-west-1', credentials: creds, now: NOW });
    expect(credential.status.token).toBe(expected.token);
    expect(credential.status.token.startsWith(TOKEN_PREFIX)).toBe(true);
  });

  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    const fromDefault = await invoke(['--cluster-name', 'prod'], { env: { AWS_DEFAULT_REGION: 'us-west-2' } });
    const fromRegion = await invoke(['--cluster-name', 'prod'], { env: { AWS_REGION: 'eu-central-1', AWS_DEFAULT_REGION: 'us-west-2' } });
    const host = (out: string) => new URL(Buffer.from((JSON.parse(out) as { status: { token: string } }).status.token.slice(TOKEN_PREFIX.length), 'base64url').toString()).hostname;
    expect(host(fromDefault.stdout)).toBe('sts.us-west-2.amazonaws.com');
    expect(host(fromRegion.stdout)).toBe('sts.eu-central-1.amazonaws.com');
  });

  it.each([
    // Operator error in the command line: usage, exit 2.
    { why: 'unknown flag', argv: ['--cluster-name', 'x', '--regoin', 'eu-west-1'], code: 2, message: /unknown option '--regoin'/ },
    { why: 'missing --cluster-name', argv: ['--region', 'eu-west-1'], code: 2, message: /--cluster-name is required/ },
    { why: 'cluster name that EKS would never accept', argv: ['--cluster-name', 'a b', '--region', 'eu-west-1'], code: 2, message: /clusterName/ },
    // Environment problems: exit 1 with what to do.
    { why: 'no region anywhere', argv: ['--cluster-name', 'x'], code: 1, message: /no AWS region: pass --region or set AWS_REGION/ },
    { why: 'no credentials', argv: ['--cluster-name', 'x', '--region', 'eu-west-1'], fail: true, code: 1, message: /no AWS credentials .*Could not load credentials/ },
  ])('$why → exit $code with a clear message and nothing on stdout', async ({ argv, code, message, fail }) => {
    const result = await invoke(argv, { fail });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});

describe('eks-reflexion get-token as a process', () => {
  it('with no credentials anywhere in the default chain: exit 1 and says so', async () => {
    // The real provider chain, not an injected one: env, profiles and IMDS all come up empty.
    const home = await mkdtemp(join(tmpdir(), 'get-token-home-'));
    try {
      const error = await run(process.execPath, [resolve('bin/eks-reflexion.mjs'), 'get-token', '--cluster-name', 'prod', '--region', 'eu-west-1'], {
        env: { PATH: process.env.PATH, HOME: home, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: join(home, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(home, 'none') },
        timeout: 60_000,
      }).catch((e: unknown) => e as { code: number; stdout: string; stderr: string });
      expect((error as { code: number }).code).toBe(1);
      expect((error as { stderr: string }).stderr).toMatch(/no AWS credentials from the default provider chain/);
      expect((error as { stdout: string }).stdout).toBe('');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('get-token as kubectl exec credential plugin', () => {
  let server: Server;
  let dir = '';
  let url = '';
  let caPem = '';
  const seen: string[] = [];
  let kubectl: string | undefined;

  beforeAll(async () => {
    kubectl = await run('sh', ['-c', 'command -v kubectl'])
      .then((r) => r.stdout.trim() || undefined)
      .catch(() => undefined);
    if (!kubectl) return;
    const pems = await generate([{ name: 'commonName', value: 'eks-test' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    caPem = pems.cert;
    server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = await mkdtemp(join(tmpdir(), 'get-token-'));
  });

  afterAll(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('kubectl runs the command, accepts its ExecCredential and sends the token', async (ctx) => {
    if (!kubectl) ctx.skip('kubectl is not on PATH');
    const kubeconfig = join(dir, 'kubeconfig');
    const cli = resolve('bin/eks-reflexion.mjs');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'prod', cluster: { server: url, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
        users: [
          {
            name: 'eks',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1beta1',
                command: process.execPath,
                args: [cli, 'get-token', '--cluster-name', 'prod', '--region', 'eu-west-1'],
                env: [
                  { name: 'AWS_ACCESS_KEY_ID', value: creds.accessKeyId },
                  { name: 'AWS_SECRET_ACCESS_KEY', value: creds.secretAccessKey },
                ],
                interactiveMode: 'Never',
              },
            },
          },
        ],
        contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'eks' } }],
        'current-context': 'prod',
      }),
    );
    const out = await run(kubectl!, ['--kubeconfig', kubeconfig, 'get', '--raw', '/api/v1/namespaces/default/pods/p'], {
      env: { PATH: process.env.PATH, HOME: dir, AWS_EC2_METADATA_DISABLED: 'true' },
      timeout: 60_000,
    });
    expect(JSON.parse(out.stdout)).toMatchObject({ kind: 'Pod', metadata: { name: 'p' } });
    // kubectl may also ask for discovery first; every request must carry the token.
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(1);
    const token = seen[0]!.replace(/^Bearer /, '');
    const signed = new URL(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString());
    expect(signed.hostname).toBe('sts.eu-west-1.amazonaws.com');
    expect(signed.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
  });
});
