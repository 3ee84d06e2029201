import { functionUrlStep } from '../app/alerts/function-url';
import { buildAlertIngest } from '../runtime/alert-deps';
import { lambdaHandler } from '../runtime/lambda';

/** Lambda Function URL: one route per source (`/alerts/<system>`) and an auto-detecting `/alerts`. */
export const handler = lambdaHandler('alerts', functionUrlStep(() => buildAlertIngest(process.env)));
