import { functionUrlStep } from '../app/alerts/function-url';
import { buildAlertIngest } from '../runtime/alert-deps';
import { lambdaHandler } from '../runtime/lambda';
import { functionPowertools, traceClient } from '../runtime/powertools';

/** Lambda Function URL: one route per source (`/alerts/<system>`) and an auto-detecting `/alerts`. */
export const handler = lambdaHandler('alerts', functionUrlStep(() => buildAlertIngest(process.env, traceClient(functionPowertools().tracer))), functionPowertools());
