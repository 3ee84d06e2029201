import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmAlerts } from '../../functions/app/alerts/confirm';
import { ingestDelivery, type AlertIngestConfig } from '../../functions/app/alerts/ingest';
import { AlertAuthFailed, AlertPayloadTooLarge, AlertSourceUnknown } from '../../functions/domain/alerts/errors';
import { ALERT_SYSTEMS, MAX_BODY_BYTES, type AlertSystem, type Delivery, type NormalizedAlert } from '../../functions/domain/alerts/types';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import type { EpisodeFilter, EpisodeStore } from '../../functions/ports/memory';
import { FAULTS } from '../sim/faults';
import type { ScenarioInstance } from '../sim/faults';
import { startLocalStack, type LocalStack } from '../harness/local-stack';
import { startWebhookServer } from '../../functions/local/webhook-server';
import { PUBLIC_BASE_URL, SECRETS, signedDelivery } from './payloads';

/**
 * Alerts in, for real: documented-format deliveries of all seven systems
 * about bad-image rollouts on the simulated cluster go through the webhook's
 * code path (signature check, adapter, label mapping, targeted snapshot,
 * detectors) and start executions of the CDK-synthesized state machine on
 * the local interpreter, which fixes the rollouts.
 */
describe('alerts end to end on the simulator', () => {
  let dynamo: DynamoDbLocal;
  let stack: LocalStack;
  const instances = new Map<AlertSystem, ScenarioInstance>();
  const config: AlertIngestConfig = { enabled: ALERT_SYSTEMS, verify: true, auth: { publicBaseUrl: PUBLIC_BASE_URL } };
  const secrets = async () => SECRETS;
  const ingest = (d: Delivery) => ingestDelivery(stack.deps, config, secrets, d);

  beforeAll(async () => {
    dynamo = await startDynamoDbLocal();
    stack = await startLocalStack({ dynamoEndpoint: dynamo.endpoint, seed: 21 });
    // Counts executions really started on the local Step Functions stand-in.
    const workflow = stack.deps.workflow!;
    const start = workflow.start.bind(workflow);
    workflow.start = async (name, input) => {
      const out = await start(name, input);
      if (out.started) started++;
      return out;
    };
    // One bad-image rollout per system, each in its own namespace (names drawn per seed).
    for (const [i, system] of ALERT_SYSTEMS.entries()) {
      const instance = FAULTS['bad-image-tag']!.instantiate(100 + i);
      await instance.setup(stack.kube);
      instances.set(system, instance);
    }
    await stack.sim.advance(90);
    for (const instance of instances.values()) await instance.inject(stack.kube);
    await stack.sim.advance(90);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    await dynamo?.stop();
  });

  const named = (system: AlertSystem) => {
    const instance = instances.get(system)!;
    return { namespace: instance.namespace, deployment: instance.workload.name };
  };
  let started = 0;
  const startedCount = () => started;

  it('refuses a wrong signature, an unknown source, a malformed and an oversized body, and starts nothing', async () => {
    const good = signedDelivery('pagerduty', named('pagerduty'));
    const cases: { delivery: Delivery; error: new (...a: never[]) => Error; message: RegExp }[] = [
      // Signed with another secret: refused before the body is trusted.
      { delivery: { ...good, headers: { ...good.headers, 'x-pagerduty-signature': `v1=${'ab'.repeat(32)}` } }, error: AlertAuthFailed, message: /does not match/ },
      // A route for a system nobody wrote an adapter for.
      { delivery: { ...good, path: '/alerts/zabbix' }, error: AlertSourceUnknown, message: /unknown alert source route/ },
      // Auto-detection on a body of no known shape.
      { delivery: { ...good, path: '/alerts', headers: { 'content-type': 'application/json' }, rawBody: '{"text":"hi"}' }, error: AlertSourceUnknown, message: /could not tell/ },
      // Over the bound.
      { delivery: { ...good, rawBody: ' '.repeat(MAX_BODY_BYTES + 1) }, error: AlertPayloadTooLarge, message: /limit is/ },
    ];
    for (const { delivery, error, message } of cases) {
      const attempt = ingest(delivery);
      await expect(attempt).rejects.toBeInstanceOf(error);
      await expect(ingest(delivery)).rejects.toThrow(message);
    }
    expect(startedCount()).toBe(0);
  });

  it('a source that is not enabled is refused even with good credentials', async () => {
    const only = { ...config, enabled: ['alertmanager'] as const };
    await expect(ingestDelivery(stack.deps, only, secrets, signedDelivery('datadog', named('datadog')))).rejects.toThrow(/not enabled/);
    expect(startedCount()).toBe(0);
  });

  it('each system: one delivery starts exactly one remediation; the same delivery again starts nothing more', async () => {
    for (const system of ALERT_SYSTEMS) {
      const before = startedCount();
      const first = await ingest(signedDelivery(system, named(system)));
      expect(first.source, system).toBe(system);
      expect(first.ignored, system).toEqual([]);
      expect(first.incidents.map((i) => [i.started, i.signature]), system).toEqual([[true, 'ImagePullBackOff:tag-not-found']]);
      expect(startedCount(), system).toBe(before + 1);

      const again = await ingest(signedDelivery(system, named(system)));
      expect(again.incidents.map((i) => i.started), system).toEqual([false]);
      expect(again.incidents[0]?.executionId).toBe(first.incidents[0]?.executionId);
      expect(startedCount(), system).toBe(before + 1);
    }
  });

  it('a scheduled detection afterwards starts nothing more either (same execution names)', async () => {
    const before = startedCount();
    const [summary] = await stack.detect();
    expect(summary?.started).toEqual([]);
    expect(summary?.alreadyRunning).toHaveLength(ALERT_SYSTEMS.length);
    expect(startedCount()).toBe(before);
  });

  it('the executions fix every rollout, and the incidents record their alert', async () => {
    const results = await stack.drain();
    expect(results).toHaveLength(ALERT_SYSTEMS.length);
    for (const result of results) {
      expect(result.status).toBe('SUCCEEDED');
      const output = result.output as WorkflowState;
      expect(output.outcome).toBe('resolved');
      expect(output.incident.source).toBe('alert');
      expect(ALERT_SYSTEMS).toContain(output.incident.alert?.system);
    }
    for (const [system, instance] of instances) expect(await instance.oracle(stack.kube), system).toBe(true);
  }, 300_000);

  it('a resolved alert is recorded against its incident; a healthy workload is answered with why', async () => {
    const resolved = await ingest(signedDelivery('alertmanager', named('alertmanager'), 'resolved'));
    expect(resolved.incidents).toEqual([]);
    expect(resolved.resolved).toHaveLength(1);
    expect(resolved.resolved[0]?.incident?.outcome).toBe('resolved');
    expect(stack.events.events.filter((e) => e.type === 'AlertResolved')).toHaveLength(1);

    // A grouped delivery resolving several alerts about one workload reads memory once for their namespace
    // (before: one episode query per alert, each over the memory's episode index).
    const episodes = stack.deps.memory.episodes;
    let lists = 0;
    const countedEpisodes: EpisodeStore = Object.assign(Object.create(episodes) as EpisodeStore, {
      list: (filter?: EpisodeFilter) => ((lists += 1), episodes.list(filter)),
    });
    const counted = { ...stack.deps, memory: { ...stack.deps.memory, episodes: countedEpisodes } };
    const target = { namespace: named('alertmanager').namespace, workload: { kind: 'Deployment' as const, name: named('alertmanager').deployment } };
    const group = ['a', 'b', 'c'].map((id): NormalizedAlert => ({ system: 'alertmanager', id, status: 'resolved', vendorStatus: 'resolved', title: id, labels: {}, target }));
    const answer = await confirmAlerts(counted, group);
    expect(answer.resolved.map((r) => r.incident?.outcome)).toEqual(['resolved', 'resolved', 'resolved']);
    expect(lists).toBe(1);

    // The rollout is fixed now: a late firing delivery finds it healthy and starts nothing.
    const before = startedCount();
    const late = await ingest(signedDelivery('opsgenie', named('opsgenie')));
    expect(late.incidents).toEqual([]);
    expect(late.ignored[0]?.why).toMatch(/healthy/);
    expect(startedCount()).toBe(before);
    expect(stack.events.events.filter((e) => e.type === 'AlertIgnored').length).toBeGreaterThanOrEqual(1);
  });

  it('alerts naming no workload, a protected namespace or an unknown cluster are answered with why', async () => {
    const t = named('datadog');
    const cases = [
      // Only a namespace: an alert must name a workload or pod to be confirmed.
      { delivery: signedDelivery('datadog', { namespace: t.namespace, deployment: 'x' }), patch: (b: string) => b.replace(/,kube_deployment:[^,]*/, ''), why: /names no workload/ },
      // kube-system is never remediated, whatever the alert says.
      { delivery: signedDelivery('datadog', { namespace: 'kube-system', deployment: 'coredns' }), patch: (b: string) => b, why: /protected/ },
      // A cluster this deployment does not watch.
      { delivery: signedDelivery('datadog', { ...t, cluster: 'other-cluster' }), patch: (b: string) => b, why: /not one this deployment watches/ },
    ];
    const before = startedCount();
    for (const { delivery, patch, why } of cases) {
      const answer = await ingest({ ...delivery, rawBody: patch(delivery.rawBody) });
      expect(answer.incidents).toEqual([]);
      expect(answer.ignored[0]?.why).toMatch(why);
    }
    expect(startedCount()).toBe(before);
  });

  it('over HTTP (webhook serve): the same answers, with HTTP status codes senders understand', async () => {
    const server = await startWebhookServer({ deps: stack.deps, config, secrets });
    try {
      const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { method: 'POST', body, headers });
      // Only POST/PUT deliver.
      expect((await fetch(`${server.url}/alerts`)).status).toBe(405);
      // Oversized: cut off while reading, answered 413.
      const big = await post('/alerts/alertmanager', 'x'.repeat(MAX_BODY_BYTES + 10), { 'content-type': 'application/json' });
      expect(big.status).toBe(413);
      // Unknown route → 404; bad credentials → 401; both with the error naming the problem.
      expect((await post('/alerts/zabbix', '{}', { 'content-type': 'application/json' })).status).toBe(404);
      const d = signedDelivery('alertmanager', named('alertmanager'), 'resolved');
      const unauth = await post(d.path, d.rawBody, { 'content-type': 'application/json', authorization: 'Bearer nope' });
      expect(unauth.status).toBe(401);
      expect(await unauth.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/does not match/) } });
      const ok = await post(d.path, d.rawBody, d.headers as Record<string, string>);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ ok: true, source: 'alertmanager', resolved: [{ alert: { system: 'alertmanager' } }] });
    } finally {
      await server.close();
    }
  });
});
