import { notifyStep } from '../app/notify/notify-step';
import { buildNotifier } from '../runtime/notify-deps';
import { lambdaHandler } from '../runtime/lambda';
import { createPowertools, traceClient } from '../runtime/powertools';

/** EventBridge rule target: RemediationEscalated (and, when configured, RemediationResolved) → PagerDuty, Slack, signed webhook. */
const powertools = createPowertools();
export const handler = lambdaHandler('notify', notifyStep(() => buildNotifier(process.env, traceClient(powertools.tracer))), powertools);
