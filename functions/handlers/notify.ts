import { notifyStep } from '../app/notify/notify-step';
import { buildNotifier } from '../runtime/notify-deps';
import { lambdaHandler } from '../runtime/lambda';
import { functionPowertools, traceClient } from '../runtime/powertools';

/** EventBridge rule target: RemediationEscalated (and, when configured, RemediationResolved) → PagerDuty, Slack, signed webhook. */
export const handler = lambdaHandler('notify', notifyStep(() => buildNotifier(process.env, traceClient(functionPowertools().tracer))), functionPowertools());
