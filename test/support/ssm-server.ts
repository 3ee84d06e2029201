import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP/1.1 server speaking the SSM GetParameter wire format
 * (awsJson1_1: POST /, `X-Amz-Target: AmazonSSM.GetParameter`, JSON body
 * `{Name, WithDecryption}`), so tests drive the real SSMClient and the
 * Powertools SSMProvider on top of it. Parameters are set by the test; a
 * missing one answers ParameterNotFound as the service does. Every request
 * is counted, so a test can tell a cache hit from a call.
 *
 * Client: `new SSMClient({ endpoint: server.url, region: 'us-east-1',
 * credentials: {...}, requestHandler: new NodeHttpHandler(), maxAttempts: 1 })`.
 */
export interface SsmServer {
  url: string;
  readonly parameters: Map<string, string>;
  /** GetParameter requests received, by name. */
  readonly calls: string[];
  close(): Promise<void>;
}

export async function startSsmServer(): Promise<SsmServer> {
  const parameters = new Map<string, string>();
  const calls: string[] = [];
  const versions = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      const target = req.headers['x-amz-target'];
      if (req.method !== 'POST' || target !== 'AmazonSSM.GetParameter') {
        return send(400, { __type: 'InvalidAction', message: `unsupported ${String(target)}` });
      }
      let body: { Name?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Name?: unknown };
      } catch {
        return send(400, { __type: 'SerializationException', message: 'body is not JSON' });
      }
      const name = String(body.Name);
      calls.push(name);
      const value = parameters.get(name);
      if (value === undefined) return send(400, { __type: 'ParameterNotFound', message: `Parameter ${name} not found.` });
      const version = (versions.get(name) ?? 0) + 1;
      versions.set(name, version);
      return send(200, { Parameter: { Name: name, Type: 'String', Value: value, Version: version, ARN: `arn:aws:ssm:us-east-1:000000000000:parameter${name}`, DataType: 'text' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    parameters,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
