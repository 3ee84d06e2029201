/**
 * The simulated Kubernetes API server: HTTPS on 127.0.0.1 with its own CA and
 * a bearer token, serving the resource table in ./registry over the store in
 * ./store. Start one per test file (or per `sim serve`); the kubelet/scheduler
 * emulator and the controllers attach to `store` and the clock.
 *
 * Not Kubernetes, documented: `POST /api/v1/namespaces/{ns}/pods/{name}/simlog`
 * with `{"container", "text"?, "previous"?, "rotate"?}` appends to (or rotates)
 * a container's log buffer, so a kubelet emulator talking only HTTP can
 * produce what `pods/{name}/log` returns.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SimClock } from '../clock';
import { kubeconfigYaml } from './kubeconfig';
import { FieldManagers } from './managed-fields';
import { ListSnapshots } from './pagination';
import { handle, type RouterContext } from './router';
import { ObjectStore } from './store';
import { createServerTls } from './tls';

export { ObjectStore } from './store';

export interface SimApiServer {
  url: string;
  /** PEM of the CA that signed the server certificate ('' when tls is false). */
  caPem: string;
  token: string;
  store: ObjectStore;
  kubeconfigYaml(context?: string): string;
  writeKubeconfig(path: string): Promise<void>;
  /** HTTP requests served so far (a cost measure for the code under test). */
  requestCount(): number;
  stop(): Promise<void>;
}

export interface StartApiServerOptions {
  clock: SimClock;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Bearer token clients must send; random when absent. */
  token?: string;
  /** HTTPS with a private CA (default true). */
  tls?: boolean;
  /** An existing store to serve (e.g. pre-seeded); a fresh one otherwise. */
  store?: ObjectStore;
  /** Seed for names and uids of a fresh store. */
  seed?: number;
}

export async function startApiServer(options: StartApiServerOptions): Promise<SimApiServer> {
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new RangeError(`startApiServer: port must be an integer in 0..65535, got ${options.port}`);
  }
  if (options.token !== undefined && !/^[\x21-\x7e]+$/.test(options.token)) {
    throw new RangeError('startApiServer: token must be non-empty printable ASCII without spaces');
  }
  const token = options.token ?? randomBytes(24).toString('hex');
  const store = options.store ?? new ObjectStore(options.clock, options.seed !== undefined ? { seed: options.seed } : {});
  const useTls = options.tls ?? true;
  const tls = useTls ? await createServerTls() : undefined;
  let requests = 0;
  let address = '';
  const ctx: RouterContext = { store, token, serverAddress: () => address, snapshots: new ListSnapshots(), fields: new FieldManagers(), watches: new Set<ServerResponse>() };
  const listener = (req: Parameters<typeof handle>[1], res: Parameters<typeof handle>[2]): void => {
    requests++;
    void handle(ctx, req, res);
  };
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, listener) : createHttpServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  address = `127.0.0.1:${port}`;
  const url = `${useTls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const caPem = tls?.caPem ?? '';
  let stopped = false;
  return {
    url,
    caPem,
    token,
    store,
    kubeconfigYaml: (context?: string) => kubeconfigYaml({ url, token, ...(caPem ? { caPem } : {}), ...(context ? { context } : {}) }),
    async writeKubeconfig(path: string) {
      await writeFile(path, kubeconfigYaml({ url, token, ...(caPem ? { caPem } : {}) }), { mode: 0o600 });
    },
    requestCount: () => requests,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const res of [...ctx.watches]) res.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
