import { z } from 'zod';
import { answerDelivery, lowerHeaders, type HttpAnswer } from '../app/alerts/http';
import type { AppDeps } from '../app/deps';
import { buildAlertIngest } from '../runtime/alert-deps';
import { lambdaHandler } from '../runtime/lambda';

/** The parts of a Lambda Function URL (payload format 2.0) event the webhook reads. */
const FunctionUrlEventSchema = z.object({
  rawPath: z.string().default('/'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({ http: z.object({ method: z.string() }), timeEpoch: z.number().optional() }),
});

let ingest: ReturnType<typeof buildAlertIngest> | undefined;

async function step(deps: AppDeps, event: unknown): Promise<HttpAnswer & { headers: Record<string, string> }> {
  ingest ??= buildAlertIngest(process.env);
  const parsed = FunctionUrlEventSchema.safeParse(event);
  const headers = { 'content-type': 'application/json' };
  if (!parsed.success) return { statusCode: 400, headers, body: JSON.stringify({ ok: false, error: { code: 'INVALID_REQUEST', message: 'not a Function URL request' } }) };
  const e = parsed.data;
  const rawBody = e.body === undefined ? '' : e.isBase64Encoded ? Buffer.from(e.body, 'base64').toString('utf8') : e.body;
  const answer = await answerDelivery(deps, ingest.config, ingest.secrets, e.requestContext.http.method, {
    path: e.rawPath,
    headers: lowerHeaders(e.headers),
    rawBody,
    nowSeconds: Math.floor(deps.clock.now().getTime() / 1000),
  });
  return { ...answer, headers };
}

/** Lambda Function URL: one route per source (`/alerts/<system>`) and an auto-detecting `/alerts`. */
export const handler = lambdaHandler('alerts', step);
