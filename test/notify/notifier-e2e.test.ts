import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { startLocalStack, type LocalStack } from '../harness/local-stack';
import { FAULTS } from '../sim/faults';
import { buildHandler, invokeBuilt, jsonLines } from '../support/built-handler';
import { startSecretsManagerServer, type SecretsManagerServer } from '../support/secrets-manager-server';

/**
 * Escalation out, end to end: a real escalation (the registry-auth fault,
 * which must escalate) from an execution of the synthesized state machine on
 * the local runner → its RemediationEscalated bus event, wrapped as the
 * EventBridge rule delivers it → the notifier bundle built like the CDK
 * construct builds it, run through the middy pipeline in a fresh Node
 * process, reading its secrets from a Secrets Manager server with the real
 * SDK client and its dedup markers from DynamoDB Local → one local HTTP
 * endpoint standing in for PagerDuty, Slack and a webhook receiver.
 */
const ROUTING_KEY = 'R0UTINGKEY0123456789abcdef012345';
const HMAC_SECRET = 'hmac-secret-for-the-e2e-test-0123';
const SLACK_PATH = '/services/T000/B000/SLACKTOKENxyz';

let dynamo: DynamoDbLocal;
let stack: LocalStack;
let receiver: Server;
let base: string;
let secrets: SecretsManagerServer;
let bundle: string;
const received: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
/** Paths answered 500 once (a receiver that is down for one delivery). */
const failOnce = new Set<string>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '';
      if (failOnce.delete(path)) return void res.writeHead(500).end('down');
      received.push({ path, headers: req.headers, body });
      res.writeHead(path === '/v2/enqueue' ? 202 : 200, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  secrets = await startSecretsManagerServer({
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pd-AbCdEf': ROUTING_KEY,
    // The console's key/value form works as well as a plain string.
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-GhIjKl': JSON.stringify({ url: `${base}${SLACK_PATH}` }),
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hmac-MnOpQr': HMAC_SECRET,
  });
  dynamo = await startDynamoDbLocal();
  [stack, bundle] = await Promise.all([startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 3, policy: { mode: 'enforce' } }), buildHandler('notify')]);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  await dynamo?.stop();
  await secrets?.close();
  await new Promise((r) => receiver?.close(r));
});

/** One escalation of the registry-auth fault through the local state machine; its bus event. */
async function escalate(): Promise<Record<string, unknown>> {
  const instance = FAULTS['registry-auth']!.instantiate(3);
  await instance.setup(stack.kube);
  await stack.sim.advance(120, 5);
  await instance.inject(stack.kube);
  for (let waited = 0; waited < 300; waited += 60) {
    await stack.sim.advance(60, 5);
    const [summary] = await stack.detect();
    if (summary && summary.started.length > 0) break;
  }
  await stack.drain();
  const escalated = stack.events.events.find((e) => e.type === 'RemediationEscalated');
  if (!escalated) throw new Error(`no RemediationEscalated; events: ${stack.events.events.map((e) => e.type).join(', ')}`);
  return escalated.detail;
}

/** The event as an EventBridge rule hands it to a Lambda target. */
const asRuleDelivery = (detailType: string, detail: Record<string, unknown>, id: string) => ({
  version: '0',
  id,
  'detail-type': detailType,
  source: 'eks-reflexion',
  account: '123456789012',
  time: '2026-12-07T12:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail,
});

describe('escalation out, end to end', () => {
  it('reaches PagerDuty, Slack and the webhook in their formats; repeats collapse by fingerprint; a failed channel is retried alone; no secret in the logs', async () => {
    const detail = await escalate();
    expect(detail).toMatchObject({ schemaVersion: 'v1', outcome: 'escalated', signature: expect.stringMatching(/^ImagePull/) });
    const fingerprint = String(detail['fingerprint']);
    const env = {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      AWS_LAMBDA_FUNCTION_NAME: 'eks-reflexion-notify',
      MEMORY_NAMESPACE: 'notify-e2e',
      POLICY: JSON.stringify({ mode: 'enforce' }),
      CLUSTER_NAMES: JSON.stringify(['sim']),
      LOCKS_TABLE: stack.tables.locks,
      POWERTOOLS_SERVICE_NAME: 'eks-reflexion',
      NOTIFY_PAGERDUTY_URL: `${base}/v2/enqueue`,
      NOTIFY_PAGERDUTY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pd-AbCdEf',
      NOTIFY_SLACK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-GhIjKl',
      NOTIFY_WEBHOOK_URL: `${base}/hook`,
      NOTIFY_WEBHOOK_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hmac-MnOpQr',
    };
    failOnce.add('/hook');
    const first = asRuleDelivery('RemediationEscalated', detail, 'ev-1');
    const { stdout, stderr, results } = await invokeBuilt(
      bundle,
      [
        // 1: the webhook receiver is down: PagerDuty and Slack deliver, the invocation fails so Lambda retries it.
        { requestId: 'req-1', event: first },
        // 2: Lambda's retry of the same event: only the webhook is sent.
        { requestId: 'req-1', event: first },
        // 3: the same incident escalated again by a later execution: PagerDuty collapses it, Slack and the webhook stay quiet.
        { requestId: 'req-3', event: asRuleDelivery('RemediationEscalated', { ...detail, executionId: `${String(detail['executionId'])}-again` }, 'ev-2') },
        // 4: not an event of ours: refused by name, nothing sent.
        { requestId: 'req-4', event: { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification', time: 'x', detail: {} } },
      ],
      env,
    );
    expect(results[0]).toMatchObject({ ok: false, error: { name: 'NotifyFailed', message: expect.stringContaining('webhook (HTTP 500)') } });
    expect(results[1]).toMatchObject({ ok: true, result: { kind: 'escalated', fingerprint } });
    const sentIn = (i: number) => (results[i]!.result as { results: { channel: string; sent: boolean }[] }).results.map((r) => [r.channel, r.sent]);
    expect(sentIn(1)).toEqual([['pagerduty', true], ['slack', false], ['webhook', true]]);
    expect(sentIn(2)).toEqual([['pagerduty', true], ['slack', false], ['webhook', false]]);
    expect(results[3]).toMatchObject({ ok: false, error: { name: 'ValidationError' } });

    // PagerDuty Events API v2: three triggers, one dedup_key = the fingerprint, so one alert.
    const pd = received.filter((r) => r.path === '/v2/enqueue').map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(pd).toHaveLength(3);
    expect(new Set(pd.map((e) => e['dedup_key']))).toEqual(new Set([fingerprint]));
    expect(pd[0]).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      payload: { source: 'sim', severity: 'error', class: detail['signature'], summary: expect.stringContaining(String(detail['signature'])), timestamp: '2026-12-07T12:00:00Z' },
    });
    // Slack incoming webhook: one message, at the URL held in the secret.
    const slack = received.filter((r) => r.path === SLACK_PATH);
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]!.body)).toEqual({ text: expect.stringContaining(`fingerprint ${fingerprint}`) });
    // The webhook: one CloudEvent, signed over "<timestamp>.<body>" with the secret.
    const hook = received.filter((r) => r.path === '/hook');
    expect(hook).toHaveLength(1);
    const envelope = JSON.parse(hook[0]!.body) as Record<string, unknown>;
    expect(envelope).toMatchObject({ specversion: '1.0', type: 'io.eks-reflexion.remediation.escalated.v1', subject: fingerprint, data: { kind: 'escalated', fingerprint } });
    const mac = createHmac('sha256', HMAC_SECRET).update(`${String(hook[0]!.headers['x-eks-reflexion-timestamp'])}.${hook[0]!.body}`).digest('hex');
    expect(hook[0]!.headers['x-eks-reflexion-signature']).toBe(`sha256=${mac}`);

    // Each secret was read once (cached across warm invocations), with signed requests.
    expect(secrets.requests.map((r) => r.target)).toEqual(Array(3).fill('secretsmanager.GetSecretValue'));
    // The logs carry what happened, never a secret value.
    const logs = `${stdout}\n${stderr}`;
    expect(jsonLines(logs).some((l) => l['message'] === 'notify' && l['fingerprint'] === fingerprint)).toBe(true);
    for (const secret of [ROUTING_KEY, HMAC_SECRET, 'SLACKTOKENxyz']) expect(logs).not.toContain(secret);
  }, 300_000);
});
