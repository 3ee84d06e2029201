import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../functions/adapters/dynamodb/client';
import { LAST_ACTION_ANNOTATION } from '../../functions/app/actions/common';
import type { ProxyRecord } from '../harness/chaos-proxy';
import { scenarioSet } from '../sim/scenario/cli';
import { useDynamoDbLocal } from '../support/dynamodb';
import { appliedWrites, chaosViolations, gatherEvidence, leftHeld, runChaosBench, type IncidentEvidence } from './chaos';

const dynamo = useDynamoDbLocal();

const marker = (action: string, actionId: string) => JSON.stringify({ action, actionId, at: '2026-01-01T00:00:00.000Z' });
const patch = (path: string, actionId: string, action = 'patch_image', extra: Partial<ProxyRecord> = {}): ProxyRecord => ({
  seq: 0,
  method: 'PATCH',
  url: path,
  dryRun: false,
  upstreamStatus: 200,
  body: JSON.stringify([{ op: 'add', path: `/metadata/annotations/${LAST_ACTION_ANNOTATION.replace('/', '~1')}`, value: marker(action, actionId) }]),
  ...extra,
});
const del = (pod: string, uid: string, status = 200): ProxyRecord => ({ seq: 0, method: 'DELETE', url: `/api/v1/namespaces/shop/pods/${pod}`, dryRun: false, upstreamStatus: status, answer: JSON.stringify({ metadata: { uid } }) });
const DEPLOY = '/apis/apps/v1/namespaces/shop/deployments/web';

describe('appliedWrites (what the API server accepted, from the proxy log)', () => {
  it.each([
    { why: 'one action, one applied patch: not twice', log: [patch(DEPLOY, 'e#1')], twice: 0 },
    { why: 'a dry run and a refused attempt do not count', log: [patch(DEPLOY, 'e#1', 'patch_image', { dryRun: true }), patch(DEPLOY, 'e#1', 'patch_image', { upstreamStatus: 409 }), patch(DEPLOY, 'e#1')], twice: 0 },
    { why: 'the same action id applied twice (a retry that wrote again) is caught', log: [patch(DEPLOY, 'e#1'), patch(DEPLOY, 'e#1')], twice: 1 },
    { why: 'two trials are two actions', log: [patch(DEPLOY, 'e#1'), patch(DEPLOY, 'e#2')], twice: 0 },
    { why: "restart_pod's marker on the Deployment is bookkeeping, the delete is the action", log: [del('web-1', 'u1'), patch(DEPLOY, 'e#1', 'restart_pod')], twice: 0 },
    { why: 'a pod deleted again under the same uid (graceful delete answered twice) is one deletion', log: [del('web-1', 'u1'), del('web-1', 'u1')], twice: 0 },
    { why: 'the replacement of a deleted pod, deleted too, is caught', log: [del('db-0', 'u1'), del('db-0', 'u2')], twice: 1 },
  ])('$why', ({ log, twice }) => {
    expect(appliedWrites(log).appliedTwice).toHaveLength(twice);
  });

  it('a write that names no action is reported as unattributed', () => {
    const scale: ProxyRecord = { seq: 0, method: 'PATCH', url: `${DEPLOY}/scale`, dryRun: false, upstreamStatus: 200, body: '{"spec":{"replicas":3}}' };
    expect(appliedWrites([scale]).unattributed).toEqual([`PATCH ${DEPLOY}/scale`]);
  });
});

describe('leftHeld', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const t = Date.parse(at);
  it.each([
    { why: 'a workload lock still there after the end is held', item: { lockKey: 'sim/shop/Deployment/web', acquiredAt: at, expiresAtMs: t + 60_000 }, held: true },
    { why: 'a start claim settled to the dedup window is by design', item: { lockKey: 'start/sim/f/enforce', acquiredAt: at, expiresAtMs: t + 3_000_000 }, held: false },
    { why: 'a start claim on its whole-run lease was never settled', item: { lockKey: 'start/sim/f/enforce', acquiredAt: at, expiresAtMs: t + 3 * 3_600_000 }, held: true },
  ])('$why', ({ item, held }) => expect(leftHeld(item)).toBe(held));
});

describe('bench --chaos, fast path (one fault, one seed, share 0.1)', () => {
  it('survives with zero figures, and its counters catch a deliberately lost episode and held lock', async () => {
    const { doc } = createDynamoClients({ endpoint: dynamo.endpoint });
    const clean: IncidentEvidence[] = [];
    const result = await runChaosBench({
      scenarios: [scenarioSet({})['bad-image-tag']!],
      seeds: 1,
      share: 0.1,
      runId: `t${Date.now().toString(36)}`,
      dynamoEndpoint: dynamo.endpoint,
      tables: dynamo.tables,
      // The negative case: after reading the honest evidence, lose the episode and leave a lock behind.
      tamper: async (stack, namespace) => {
        clean.push(await gatherEvidence(stack, stack.workflow.results, { fault: 'bad-image-tag', seed: 0, namespace, doc }));
        const episodes = await stack.memory.episodes.list({});
        for (const e of episodes) await doc.send(new DeleteCommand({ TableName: stack.tables.episodes, Key: { pk: `${namespace}#EP#${e.episodeId}`, sk: 'EP' } }));
        await doc.send(new PutCommand({ TableName: stack.tables.locks, Item: { pk: `${namespace}#LOCK#sim/x/Deployment/y`, sk: 'LOCK', lockKey: 'sim/x/Deployment/y', acquiredAt: new Date().toISOString(), expiresAtMs: Date.now() + 1e9 } }));
      },
    });
    // Faults were injected on both sides of the system, and it survived them.
    expect(clean).toHaveLength(1);
    const honest = clean[0]!;
    expect(Object.values(honest.kubeFaults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect({ lost: honest.episodesLost, twice: honest.appliedTwice, held: honest.locksLeftHeld, failed: honest.executionsFailed, audit: honest.auditEventsMissing }).toEqual({ lost: [], twice: [], held: [], failed: [], audit: [] });
    expect(honest.applied).toBeGreaterThan(0);
    expect(chaosViolations(result.faultFree)).toEqual([]);
    expect(result.faultFree.kubeFaults).toEqual({ '409': 0, '429': 0, '500': 0, timeout: 0, 'timeout-after-apply': 0 });
    // The tampered chaos arm: the same counters now say what was done to it.
    expect(result.chaos.episodesLost).toBeGreaterThan(0);
    expect(result.chaos.locksLeftHeld).toBe(1);
    expect(chaosViolations(result.chaos)).toEqual(expect.arrayContaining([expect.stringMatching(/episode\(s\) lost/), '1 lock(s) left held']));
  }, 300_000);
});
