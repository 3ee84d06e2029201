import { z } from 'zod';
import type { AppDeps } from '../deps';
import { answerDelivery, lowerHeaders, type HttpAnswer } from './http';
import type { AlertIngestConfig, AlertSecrets } from './ingest';

/** The parts of a Lambda Function URL (payload format 2.0) event the webhook reads. */
const FunctionUrlEventSchema = z.object({
  rawPath: z.string().default('/'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({ http: z.object({ method: z.string() }) }),
});

export type FunctionUrlAnswer = HttpAnswer & { headers: Record<string, string> };

/**
 * The webhook as a Function URL step: request → Delivery → the same answer
 * `webhook serve` gives. `settings` is built once (the composition root
 * passes it; the step never reads the environment).
 */
export function functionUrlStep(settings: () => { config: AlertIngestConfig; secrets: () => Promise<AlertSecrets> }) {
  let built: ReturnType<typeof settings> | undefined;
  return async (deps: AppDeps, event: unknown): Promise<FunctionUrlAnswer> => {
    built ??= settings();
    const headers = { 'content-type': 'application/json' };
    const parsed = FunctionUrlEventSchema.safeParse(event);
    if (!parsed.success) return { statusCode: 400, headers, body: JSON.stringify({ ok: false, error: { code: 'INVALID_REQUEST', message: 'not a Function URL request' } }) };
    const e = parsed.data;
    const rawBody = e.body === undefined ? '' : e.isBase64Encoded ? Buffer.from(e.body, 'base64').toString('utf8') : e.body;
    const answer = await answerDelivery(deps, built.config, built.secrets, e.requestContext.http.method, {
      path: e.rawPath,
      headers: lowerHeaders(e.headers),
      rawBody,
      nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
    });
    return { ...answer, headers };
  };
}
