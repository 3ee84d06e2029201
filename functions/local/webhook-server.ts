import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerDelivery, lowerHeaders } from '../app/alerts/http';
import type { AlertIngestConfig, AlertSecrets } from '../app/alerts/ingest';
import type { AppDeps } from '../app/deps';
import { MAX_BODY_BYTES } from '../domain/alerts/types';

export interface WebhookServerOptions {
  deps: AppDeps;
  config: AlertIngestConfig;
  secrets: () => Promise<AlertSecrets>;
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** Called after each delivery that started something (the CLI drains the local workflow here). */
  afterDelivery?: () => void;
}

export interface WebhookServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The alert webhook's routes over plain HTTP on this machine (`webhook
 * serve`): the same answer function as the Lambda Function URL. The body is
 * cut off past the bound while it is read, so an oversized delivery costs no
 * memory.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { deps, config, secrets } = options;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const rawBody = over ? ' '.repeat(MAX_BODY_BYTES + 1) : Buffer.concat(chunks).toString('utf8');
      void answerDelivery(deps, config, secrets, req.method ?? 'GET', {
        path: url.pathname,
        headers: lowerHeaders(req.headers),
        rawBody,
        nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
      }).then((answer) => {
        res.writeHead(answer.statusCode, { 'content-type': 'application/json' });
        res.end(answer.body);
        if (answer.statusCode === 200) options.afterDelivery?.();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
