import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import { notify, type NotifyChannels } from '../../functions/app/notify/notify';
import type { EscalationFacts } from '../../functions/domain/escalation';
import { silentLogger } from '../../functions/ports/logger';
import { SecretUnavailable } from '../../functions/ports/secrets';
import { resolveChannels } from '../../functions/app/notify/notify-step';
import { useDynamoDbLocal } from '../support/dynamodb';

/**
 * Escalations reach a local HTTP endpoint standing in for PagerDuty, Slack
 * and a generic webhook, in their documented formats, over real HTTP, with
 * the dedup markers in DynamoDB Local.
 */
const dynamo = useDynamoDbLocal();
// The real time, not a fixed date: DynamoDB Local expires items whose TTL attribute is in the past, markers included.
const NOW = new Date();

describe('escalation out', () => {
  let server: Server;
  let base: string;
  const received: { path: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(req.url === '/v2/enqueue' ? 202 : 200).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  const facts = (executionId: string, kind: EscalationFacts['kind'] = 'escalated'): EscalationFacts => ({
    kind,
    executionId,
    fingerprint: 'fp-123',
    signature: 'ImagePullBackOff:tag-not-found',
    cluster: 'prod',
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    trial: 3,
    outcome: 'escalated',
    at: '2026-01-01T00:00:00.000Z',
  });

  it('sends each format once per fingerprint; PagerDuty dedups by dedup_key = fingerprint', async () => {
    const memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('notify') });
    const channels: NotifyChannels = {
      pagerDuty: { url: `${base}/v2/enqueue`, routingKey: 'R0UTING' },
      slack: { url: `${base}/slack` },
      webhook: { url: `${base}/hook`, secret: 's3cret' },
    };
    const deps = { channels, locks: memory.locks, clock: { now: () => NOW }, logger: silentLogger, fetch };
    const first = await notify(deps, facts('exec-1'));
    expect(first.map((r) => [r.channel, r.sent])).toEqual([['pagerduty', true], ['slack', true], ['webhook', true]]);
    // The same incident escalated again by another execution: people are not messaged twice.
    const second = await notify(deps, facts('exec-2'));
    expect(second.map((r) => [r.channel, r.sent])).toEqual([['pagerduty', true], ['slack', false], ['webhook', false]]);

    const pd = received.filter((r) => r.path === '/v2/enqueue').map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(pd).toHaveLength(2);
    for (const e of pd) expect(e).toMatchObject({ routing_key: 'R0UTING', event_action: 'trigger', dedup_key: 'fp-123', payload: { severity: 'error', source: 'prod' } });
    expect(received.filter((r) => r.path === '/slack')).toHaveLength(1);
    expect(JSON.parse(received.find((r) => r.path === '/slack')!.body)).toMatchObject({ text: expect.stringContaining('ImagePullBackOff:tag-not-found') });

    const hook = received.filter((r) => r.path === '/hook');
    expect(hook).toHaveLength(1);
    const { headers, body } = hook[0]!;
    expect(JSON.parse(body)).toMatchObject({ specversion: '1.0', type: 'io.eks-reflexion.remediation.escalated.v1', subject: 'fp-123' });
    // The receiver's check: HMAC-SHA256 over "<timestamp>.<body>" with the shared secret.
    const expected = createHmac('sha256', 's3cret').update(`${String(headers['x-eks-reflexion-timestamp'])}.${body}`).digest('hex');
    expect(headers['x-eks-reflexion-signature']).toBe(`sha256=${expected}`);

    // A resolution resolves the PagerDuty alert of the same fingerprint.
    await notify(deps, facts('exec-2', 'resolved'));
    expect(JSON.parse(received.filter((r) => r.path === '/v2/enqueue').at(-1)!.body)).toEqual({ routing_key: 'R0UTING', event_action: 'resolve', dedup_key: 'fp-123' });
  });

  it('a channel that fails is reported and does not stop the others', async () => {
    const memory = createDynamoMemory({ client: dynamo.doc, tables: dynamo.tables, namespace: dynamo.namespace('notify') });
    const deps = {
      channels: { slack: { url: 'http://127.0.0.1:1/unreachable' }, webhook: { url: `${base}/hook2`, secret: 'x' } },
      locks: memory.locks,
      clock: { now: () => NOW },
      logger: silentLogger,
      fetch,
    };
    const results = await notify(deps, facts('exec-9'));
    expect(results.find((r) => r.channel === 'slack')).toMatchObject({ sent: false });
    expect(results.find((r) => r.channel === 'webhook')).toMatchObject({ sent: true, status: 200 });
  });
});

describe('channel secrets', () => {
  // The port's contract (the real client is tested in test/adapters/secrets-manager.test.ts): a map of secret strings.
  const reader = (values: Record<string, string>) => ({
    readSecretString: async (id: string) => {
      const v = values[id];
      if (v === undefined) throw new SecretUnavailable(`secret ${id} could not be read: ResourceNotFoundException`);
      return v;
    },
  });
  const config = { pagerDuty: { url: 'https://events.pagerduty.com/v2/enqueue', routingKeySecretId: 'pd' }, slack: { urlSecretId: 'slack' }, webhook: { url: 'https://h.example.com', hmacSecretId: 'hmac' } };
  const good = { pd: 'R0UTINGKEY0123456789', slack: 'https://hooks.slack.com/services/T/B/x', hmac: 'a-long-enough-hmac-secret' };

  it('reads a plain value or the documented key of a JSON secret', async () => {
    const { channels, failed } = await resolveChannels(config, reader({ ...good, pd: JSON.stringify({ routingKey: 'R0UTINGKEY0123456789' }) }));
    expect(failed).toEqual([]);
    expect(channels).toEqual({
      pagerDuty: { url: config.pagerDuty.url, routingKey: 'R0UTINGKEY0123456789' },
      slack: { url: good.slack },
      webhook: { url: 'https://h.example.com', secret: good.hmac },
    });
  });

  // Each case is a secret an operator could store by mistake: that channel is reported (naming the secret, never its value), the others still go.
  it.each([
    ['a missing secret', 'pagerduty', { pd: undefined }, /secret pd could not be read/],
    ['a routing key with spaces', 'pagerduty', { pd: 'not a key' }, /secret pd: must be a PagerDuty integration/],
    ['JSON without the documented key', 'slack', { slack: JSON.stringify({ webhook: 'https://hooks.slack.com/x' }) }, /needs a string under 'url'/],
    ['broken JSON', 'slack', { slack: '{"url": ' }, /starts like JSON but is not JSON/],
    ['a Slack URL over plain http to another host', 'slack', { slack: 'http://hooks.slack.com/services/T/B/x' }, /must be the Slack incoming webhook URL/],
    ['an HMAC secret too short to be one', 'webhook', { hmac: 'short' }, /16-1024 characters/],
  ])('%s → %s reported, the others resolved', async (_why, channel, override, message) => {
    const values = Object.fromEntries(Object.entries({ ...good, ...override }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const { channels, failed } = await resolveChannels(config, reader(values));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ channel, sent: false, reason: expect.stringMatching(message) });
    for (const v of Object.values(override)) if (v) expect(failed[0]!.reason).not.toContain(v);
    expect(Object.keys(channels)).toHaveLength(2);
  });
});
