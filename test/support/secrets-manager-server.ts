import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local server speaking the Secrets Manager wire protocol (awsJson1_1:
 * POST /, `X-Amz-Target: secretsmanager.<Operation>`), enough for
 * GetSecretValue, so tests run the real SecretsManagerClient's serialisation
 * and error parsing. Secrets live in a map the test owns.
 */
export interface SecretsManagerServer {
  readonly url: string;
  readonly secrets: Map<string, string>;
  readonly requests: { target: string | undefined; headers: IncomingHttpHeaders; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

export async function startSecretsManagerServer(initial: Record<string, string> = {}): Promise<SecretsManagerServer> {
  const secrets = new Map(Object.entries(initial));
  const requests: SecretsManagerServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.headers['x-amz-target'] as string | undefined;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        /* answered below as a validation error */
      }
      requests.push({ target, headers: req.headers, body });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${requests.length}` });
        res.end(JSON.stringify(payload));
      };
      if (req.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
        return send(400, { __type: 'InvalidRequestException', message: `unsupported operation ${String(target)}` });
      }
      const id = body['SecretId'];
      if (typeof id !== 'string' || id.length === 0) return send(400, { __type: 'InvalidParameterException', message: 'SecretId is required' });
      const value = secrets.get(id);
      if (value === undefined) return send(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      return send(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`,
        Name: id,
        SecretString: value,
        VersionId: '01234567-89ab-cdef-0123-456789abcdef',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1765000000.5,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secrets,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
