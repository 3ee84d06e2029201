import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HTTP/1.1 server that speaks the Bedrock Runtime Converse wire
 * format (restJson1), so tests exercise the real BedrockRuntimeClient's
 * serialisation, tool use, error parsing and retries. Answers come from a
 * scripted queue; every request is recorded.
 *
 * Client: `new BedrockRuntimeClient({ endpoint: server.url, region: 'us-east-1',
 * credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, requestHandler: new
 * NodeHttpHandler(), maxAttempts: 1 })` — the SDK otherwise speaks HTTP/2 and
 * retries on its own.
 */

export type ScriptedAnswer =
  /** A forced tool call, as Converse returns it (stopReason tool_use). `input` may be a string to mimic broken JSON. */
  | { toolUse: { name: string; input: unknown; toolUseId?: string }; usage?: { inputTokens: number; outputTokens: number }; delayMs?: number }
  /** A plain text answer (stopReason end_turn). */
  | { text: string; usage?: { inputTokens: number; outputTokens: number }; delayMs?: number }
  /** A service error: status and x-amzn-errortype as the real service sends them. */
  | { error: ConverseErrorType; message?: string; delayMs?: number }
  /** Anything else on the wire (e.g. a body that is not JSON). */
  | { raw: { status: number; headers?: Record<string, string>; body: string }; delayMs?: number };

export type ConverseErrorType =
  | 'ThrottlingException'
  | 'ValidationException'
  | 'AccessDeniedException'
  | 'ResourceNotFoundException'
  | 'ModelTimeoutException'
  | 'ServiceUnavailableException'
  | 'InternalServerException';

const ERROR_STATUS: Record<ConverseErrorType, number> = {
  ThrottlingException: 429,
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
};

export interface RecordedRequest {
  method: string;
  path: string;
  /** Decoded from the path. */
  modelId: string;
  headers: IncomingHttpHeaders;
  body: ConverseRequestBody;
}

/** The parts of a Converse request tests look at. */
export interface ConverseRequestBody {
  system?: { text?: string }[];
  messages?: { role: string; content: { text?: string }[] }[];
  inferenceConfig?: { temperature?: number; maxTokens?: number };
  toolConfig?: {
    tools?: { toolSpec?: { name?: string; description?: string; inputSchema?: { json?: unknown } } }[];
    toolChoice?: { tool?: { name?: string }; any?: object; auto?: object };
  };
  [key: string]: unknown;
}

export interface ConverseServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** Requests received, in order (including ones answered with an error). */
  readonly requests: RecordedRequest[];
  /** Appends answers to the queue. */
  script(...answers: ScriptedAnswer[]): void;
  /** Answers still queued. */
  pending(): number;
  /** Clears the queue and the record. */
  reset(): void;
  close(): Promise<void>;
}

const PATH = /^\/model\/([^/]+)\/converse$/;

export async function startConverseServer(): Promise<ConverseServer> {
  const queue: ScriptedAnswer[] = [];
  const requests: RecordedRequest[] = [];
  let seq = 0;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      const match = PATH.exec(path);
      if (req.method !== 'POST' || !match?.[1]) {
        sendError(res, 'ResourceNotFoundException', `no route for ${req.method} ${path}`, 404);
        return;
      }
      let body: ConverseRequestBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ConverseRequestBody;
      } catch {
        sendError(res, 'ValidationException', 'request body is not JSON');
        return;
      }
      requests.push({ method: req.method, path, modelId: decodeURIComponent(match[1]), headers: req.headers, body });
      const answer = queue.shift();
      if (!answer) {
        // A test that gets more calls than it scripted should fail loudly, not hang.
        sendError(res, 'ValidationException', 'converse-server: no scripted answer left');
        return;
      }
      const respond = () => {
        if (res.destroyed || res.writableEnded) return;
        if ('error' in answer) sendError(res, answer.error, answer.message ?? defaultMessage(answer.error));
        else if ('raw' in answer) {
          res.writeHead(answer.raw.status, { 'content-type': 'application/json', ...answer.raw.headers });
          res.end(answer.raw.body);
        } else {
          seq++;
          const usage = answer.usage ?? { inputTokens: 100, outputTokens: 20 };
          const content =
            'toolUse' in answer
              ? [{ toolUse: { toolUseId: answer.toolUse.toolUseId ?? `tooluse_${seq}`, name: answer.toolUse.name, input: answer.toolUse.input } }]
              : [{ text: answer.text }];
          const payload = {
            output: { message: { role: 'assistant', content } },
            stopReason: 'toolUse' in answer ? 'tool_use' : 'end_turn',
            usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
            metrics: { latencyMs: answer.delayMs ?? 1 },
          };
          const json = JSON.stringify(payload);
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(json),
            'x-amzn-requestid': `req-${seq}`,
          });
          res.end(json);
        }
      };
      if (answer.delayMs) {
        const timer = setTimeout(respond, answer.delayMs);
        // A client that gave up (timeout) closes the socket; do not keep the timer alive.
        res.on('close', () => clearTimeout(timer));
      } else respond();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...answers) => void queue.push(...answers),
    pending: () => queue.length,
    reset: () => {
      queue.length = 0;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function sendError(res: ServerResponse, type: ConverseErrorType, message: string, status = ERROR_STATUS[type]): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    // The service sends the shape name with a namespace suffix; the SDK strips it.
    'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    'x-amzn-requestid': 'req-error',
  });
  res.end(body);
}

function defaultMessage(type: ConverseErrorType): string {
  switch (type) {
    case 'ThrottlingException':
      return 'Too many requests, please wait before trying again.';
    case 'ValidationException':
      return 'The provided request is not valid.';
    default:
      return `${type}`;
  }
}
