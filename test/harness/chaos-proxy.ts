/**
 * A fault-injecting proxy in front of a Kubernetes API server (the simulator
 * or a real kube-apiserver over TLS). Clients talk HTTPS to 127.0.0.1 (a CA
 * of the proxy's own, in the kubeconfig it writes: kubectl sends no bearer
 * token over plain HTTP); the proxy forwards to the upstream over HTTPS with
 * the upstream's CA and the client's own Authorization header, so the
 * identity the upstream sees is the client's.
 *
 * On a configurable share of requests it answers instead of the server:
 * - 429 Too Many Requests (Status reason TooManyRequests, Retry-After: 1),
 * - 500 Internal Server Error (Status reason InternalError),
 * - 409 Conflict (only on PATCH/PUT: the "object has been modified" answer a
 *   real server gives a write that lost a resourceVersion race),
 * - a timeout: the connection hangs until the client gives up (or `hangMs`).
 *   Half of the timeouts on writes are "lost answers": the request is
 *   forwarded and applied upstream, then the answer is withheld — the case
 *   that tests a retry's idempotency.
 * None of these is injected on watch requests (a stream has no one answer).
 *
 * Which request gets which fault is a pure function of (seed, method, path,
 * how many times this method+path was asked before): the same seed gives the
 * same faults on the same request sequence, whatever interleaving of other
 * requests. Every request is logged with what the upstream answered: that log
 * is the cluster-side record the chaos bench counts applied writes from.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer, request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigYaml } from '../sim/api/kubeconfig';
import { createServerTls } from '../sim/api/tls';

export const FAULT_KINDS = ['429', '500', '409', 'timeout'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosProxyOptions {
  /** Upstream API server URL (https:// or http://). */
  upstream: string;
  /** PEM of the CA that signed the upstream's serving certificate. */
  caPem?: string;
  /** Share of requests (0–1) that get a fault. 0: transparent. */
  share: number;
  seed: number;
  /** Which faults to draw from (default: all four). */
  kinds?: readonly FaultKind[];
  /** How long a timed-out request hangs before the proxy drops it (default 60 s; clients give up sooner). */
  hangMs?: number;
  /** Tests: chooses the fault of each request instead of the seeded draw (targeted faults). */
  pick?: (request: { method: string; path: string; occurrence: number; dryRun: boolean }) => FaultKind | 'timeout-after-apply' | undefined;
}

export interface ProxyRecord {
  seq: number;
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  fault?: FaultKind | 'timeout-after-apply';
  /** What the upstream answered (absent when the request never reached it). */
  upstreamStatus?: number;
  dryRun: boolean;
  /** The request body (writes only; at most 64 KiB kept). */
  body?: string;
  /** The upstream's answer body (writes only; at most 64 KiB kept). */
  answer?: string;
}

export interface ChaosProxy {
  url: string;
  /** The CA of the proxy's serving certificate. */
  caPem: string;
  log: ProxyRecord[];
  /** Requests answered with each fault so far. */
  injected(): Record<FaultKind | 'timeout-after-apply', number>;
  /** A kubeconfig for this proxy with the given bearer token. */
  kubeconfigYaml(token: string): string;
  stop(): Promise<void>;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KEEP_BYTES = 64 * 1024;

export function checkShare(share: number): number {
  if (!Number.isFinite(share) || share < 0 || share > 1) throw new RangeError(`chaos share must be a number from 0 to 1, got ${share}`);
  return share;
}

/** A number in [0, 1) from the seed and the request's identity (SHA-256, first 48 bits). */
export function draw(seed: number, ...parts: (string | number)[]): number {
  const digest = createHash('sha256').update([seed, ...parts].join('\u0000')).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

function status(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** The fault for one request, or none; pure in its arguments. */
export function faultFor(options: { seed: number; share: number; kinds: readonly FaultKind[] }, method: string, path: string, occurrence: number): FaultKind | 'timeout-after-apply' | undefined {
  if (options.share <= 0) return undefined;
  if (draw(options.seed, 'hit', method, path, occurrence) >= options.share) return undefined;
  const eligible = options.kinds.filter((k) => k !== '409' || method === 'PATCH' || method === 'PUT');
  if (eligible.length === 0) return undefined;
  const kind = eligible[Math.floor(draw(options.seed, 'kind', method, path, occurrence) * eligible.length)]!;
  if (kind === 'timeout' && WRITE_METHODS.has(method) && draw(options.seed, 'after', method, path, occurrence) < 0.5) return 'timeout-after-apply';
  return kind;
}

export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const share = checkShare(options.share);
  const kinds = options.kinds ?? FAULT_KINDS;
  for (const k of kinds) if (!FAULT_KINDS.includes(k)) throw new RangeError(`unknown fault kind '${String(k)}' (known: ${FAULT_KINDS.join(', ')})`);
  const hangMs = options.hangMs ?? 60_000;
  const upstream = new URL(options.upstream);
  const log: ProxyRecord[] = [];
  const counts: Record<FaultKind | 'timeout-after-apply', number> = { '429': 0, '500': 0, '409': 0, timeout: 0, 'timeout-after-apply': 0 };
  const occurrences = new Map<string, number>();
  const sockets = new Set<Socket>();
  const hanging = new Set<NodeJS.Timeout>();
  let seq = 0;

  const hang = (res: ServerResponse) => {
    // Never answer; drop the connection after hangMs (the client has normally given up long before).
    const timer = setTimeout(() => {
      hanging.delete(timer);
      res.socket?.destroy();
    }, hangMs);
    hanging.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      hanging.delete(timer);
    });
  };

  const forward = (req: IncomingMessage, body: Buffer, record: ProxyRecord, onAnswer: (status: number, headers: IncomingMessage['headers'], upstreamRes: IncomingMessage) => void, onError: (e: Error) => void) => {
    const headers = { ...req.headers, host: upstream.host };
    const send = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
    const out = send(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers,
        ...(options.caPem ? { ca: options.caPem } : {}),
      },
      (upstreamRes) => {
        record.upstreamStatus = upstreamRes.statusCode ?? 0;
        onAnswer(upstreamRes.statusCode ?? 502, upstreamRes.headers, upstreamRes);
      },
    );
    out.on('error', onError);
    out.end(body);
  };

  const tls = await createServerTls();
  const server: Server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const parsed = new URL(url, 'http://proxy');
      const path = parsed.pathname;
      const watch = parsed.searchParams.get('watch') === 'true' || parsed.searchParams.get('watch') === '1' || parsed.searchParams.get('follow') === 'true';
      const write = WRITE_METHODS.has(method);
      const record: ProxyRecord = {
        seq: ++seq,
        method,
        url,
        dryRun: parsed.searchParams.has('dryRun') || /"dryRun"\s*:\s*\[\s*"All"/.test(body.toString('utf8')),
        ...(write ? { body: body.subarray(0, KEEP_BYTES).toString('utf8') } : {}),
      };
      log.push(record);
      const key = `${method} ${path}`;
      const occurrence = occurrences.get(key) ?? 0;
      occurrences.set(key, occurrence + 1);
      const fault = watch ? undefined : options.pick ? options.pick({ method, path, occurrence, dryRun: record.dryRun }) : faultFor({ seed: options.seed, share, kinds }, method, path, occurrence);
      if (fault) {
        record.fault = fault;
        counts[fault] += 1;
      }
      const answerStatus = (code: number, reason: string, message: string, extra: Record<string, string> = {}) => {
        res.writeHead(code, { 'content-type': 'application/json', ...extra });
        res.end(status(code, reason, message));
      };
      switch (fault) {
        case '429':
          return answerStatus(429, 'TooManyRequests', 'Too many requests, please try again later.', { 'retry-after': '1' });
        case '500':
          return answerStatus(500, 'InternalError', 'Internal error occurred: chaos proxy injected a server error');
        case '409':
          return answerStatus(409, 'Conflict', `Operation cannot be fulfilled on ${path.split('/').slice(-2).join(' ')}: the object has been modified; please apply your changes to the latest version and try again`);
        case 'timeout':
          return hang(res);
        default:
          break;
      }
      forward(
        req,
        body,
        record,
        (code, headers, upstreamRes) => {
          if (fault === 'timeout-after-apply' || write) {
            // Read the whole answer first: it is logged (writes) or withheld (lost answer).
            const answer: Buffer[] = [];
            upstreamRes.on('data', (c: Buffer) => answer.push(c));
            upstreamRes.on('end', () => {
              const text = Buffer.concat(answer);
              if (write) record.answer = text.subarray(0, KEEP_BYTES).toString('utf8');
              if (fault === 'timeout-after-apply') return hang(res);
              res.writeHead(code, headers);
              res.end(text);
            });
            upstreamRes.on('error', () => res.destroy());
            return;
          }
          res.writeHead(code, headers);
          upstreamRes.pipe(res);
        },
        (error) => {
          if (!res.headersSent) answerStatus(502, 'InternalError', `chaos proxy: upstream unreachable: ${error.message}`);
          else res.destroy();
        },
      );
    });
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped = false;
  return {
    url,
    caPem: tls.caPem,
    log,
    injected: () => ({ ...counts }),
    kubeconfigYaml: (token) => kubeconfigYaml({ url, token, caPem: tls.caPem, context: 'eks-reflexion-chaos' }),
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of hanging) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A proxy in front of the server of an existing kubeconfig (its current
 * context): upstream URL and CA from it, and a kubeconfig for the proxy with
 * the same bearer token. Client-certificate users are not supported (the
 * proxy would have to hold the key); the error says so.
 */
export async function chaosProxyForKubeconfig(
  kubeconfigPath: string,
  options: Omit<ChaosProxyOptions, 'upstream' | 'caPem'>,
): Promise<{ proxy: ChaosProxy; kubeconfig: string }> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster) throw new Error(`${kubeconfigPath}: no current cluster`);
  if (!user?.token) throw new Error(`${kubeconfigPath}: the chaos proxy needs a bearer-token user (client certificates stay with the client)`);
  const caPem = cluster.caData ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile ? (await import('node:fs')).readFileSync(cluster.caFile, 'utf8') : undefined;
  const proxy = await startChaosProxy({ ...options, upstream: cluster.server, ...(caPem ? { caPem } : {}) });
  return { proxy, kubeconfig: proxy.kubeconfigYaml(user.token) };
}
