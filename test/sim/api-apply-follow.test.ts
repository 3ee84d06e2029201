/**
 * The API additions for kubectl 1.32 at the HTTP level: server-side apply with
 * field ownership, SelfSubjectAccessReview, pods/log?follow=true, and the
 * version kubectl sees. The same flows through the real kubectl binary, compared
 * with a real kube-apiserver, are in api-kubectl-contract.test.ts.
 */
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentManifest, startTestServer, type TestServer } from './api/testing';

let t: TestServer;
const ns = 'default';
const SSA = 'application/apply-patch+yaml';
const path = (name: string, query = ''): string => `/apis/apps/v1/namespaces/${ns}/deployments/${name}${query}`;
const managers = (body: any): string[] => (body.metadata.managedFields ?? []).map((m: any) => `${m.manager}/${m.operation}`).sort();

beforeAll(async () => {
  t = await startTestServer({ seed: 11 });
});
afterAll(async () => {
  await t?.server.stop();
});

describe('server-side apply', () => {
  it('creates the object when absent (201) and records the applier as owner', async () => {
    const res = await t.raw('PATCH', path('ssa-new', '?fieldManager=tool'), { body: deploymentManifest('ssa-new', 'app:1', 1), contentType: SSA });
    expect(res.code).toBe(201);
    expect(managers(res.body)).toEqual(['tool/Apply']);
    expect(res.body.metadata.managedFields[0].fieldsV1['f:spec']['f:selector']).toEqual({});
  });

  // Each case: a request the real server refuses, with what it answers (no write happens).
  it.each([
    { why: 'no fieldManager', query: '', body: deploymentManifest('ssa-new', 'app:2', 1), code: 422, message: /fieldManager: Required value: is required for apply patch/ },
    { why: 'a body for another kind', query: '?fieldManager=tool', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa-new' } }, code: 400, message: /v1\/ConfigMap; this URL serves apps\/v1, Kind=Deployment/ },
    { why: 'a name that is not the URL\'s', query: '?fieldManager=tool', body: deploymentManifest('other', 'app:2', 1), code: 400, message: /does not match the name on the URL/ },
    { why: 'a force value that is not a boolean', query: '?fieldManager=tool&force=yes', body: deploymentManifest('ssa-new', 'app:2', 1), code: 400, message: /force: invalid value "yes"/ },
  ])('refuses $why', async ({ query, body, code, message }) => {
    const res = await t.raw('PATCH', path('ssa-new', query), { body, contentType: SSA });
    expect(res.code).toBe(code);
    expect(res.body.message).toMatch(message);
    const live = await t.raw('GET', path('ssa-new'));
    expect(live.body.spec.template.spec.containers[0].image).toBe('app:1');
  });

  it('conflicts with the manager that last set a field to another value, and force takes it over', async () => {
    await t.raw('PATCH', path('ssa-new', '?fieldManager=kubectl-set'), { body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'app:9' }] } } } }, contentType: 'application/strategic-merge-patch+json' });
    const conflict = await t.raw('PATCH', path('ssa-new', '?fieldManager=tool'), { body: deploymentManifest('ssa-new', 'app:2', 1), contentType: SSA });
    expect(conflict.code).toBe(409);
    expect(conflict.body.reason).toBe('Conflict');
    expect(conflict.body.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-set" using apps/v1: .spec.template.spec.containers[name="main"].image');
    expect(conflict.body.details.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-set" using apps/v1', field: '.spec.template.spec.containers[name="main"].image' }]);
    // Same value as the other manager: no conflict, the field is shared.
    const shared = await t.raw('PATCH', path('ssa-new', '?fieldManager=tool'), { body: deploymentManifest('ssa-new', 'app:9', 1), contentType: SSA });
    expect(shared.code).toBe(200);
    const forced = await t.raw('PATCH', path('ssa-new', '?fieldManager=tool&force=true'), { body: deploymentManifest('ssa-new', 'app:3', 1), contentType: SSA });
    expect(forced.code).toBe(200);
    expect(forced.body.spec.template.spec.containers[0].image).toBe('app:3');
    expect(managers(forced.body)).toEqual(['tool/Apply']);
  });

  it('removes a field the applier no longer applies, but keeps one another manager also set', async () => {
    await t.raw('PATCH', path('ssa-new', '?fieldManager=tool'), { body: deploymentManifest('ssa-new', 'app:3', 1, { minReadySeconds: 5, paused: true }), contentType: SSA });
    await t.raw('PATCH', path('ssa-new', '?fieldManager=editor'), { body: { spec: { paused: false } }, contentType: 'application/merge-patch+json' });
    const res = await t.raw('PATCH', path('ssa-new', '?fieldManager=tool'), { body: deploymentManifest('ssa-new', 'app:3', 1), contentType: SSA });
    expect(res.code).toBe(200);
    expect(res.body.spec.minReadySeconds).toBeUndefined();
    expect(res.body.spec.paused).toBe(false);
  });

  it('dry run applies nothing; the scale subresource is refused by name', async () => {
    const dry = await t.raw('PATCH', path('ssa-dry', '?fieldManager=tool&dryRun=All'), { body: deploymentManifest('ssa-dry', 'app:1', 1), contentType: SSA });
    expect(dry.code).toBe(201);
    expect((await t.raw('GET', path('ssa-dry'))).code).toBe(404);
    const scale = await t.raw('PATCH', path('ssa-new', '/scale?fieldManager=tool'), { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 } }, contentType: SSA });
    expect(scale.code).toBe(400);
    expect(scale.body.message).toContain('server-side apply to the scale subresource is not supported');
  });
});

describe('SelfSubjectAccessReview and version', () => {
  it('answers a review (allowed, with the reason) and refuses a malformed one as the real server does', async () => {
    const url = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
    const ok = await t.raw('POST', url, { body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'create', group: 'apps', resource: 'deployments', namespace: ns } } } });
    expect(ok.code).toBe(201);
    expect(ok.body.status.allowed).toBe(true);
    expect(ok.body.status.reason).toMatch(/no RBAC/);
    const bad = await t.raw('POST', url, { body: { spec: {} } });
    expect(bad.code).toBe(422);
    expect(bad.body.message).toBe('SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified');
    const rules = await t.raw('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { body: { spec: { namespace: ns } } });
    expect(rules.code).toBe(404);
    expect(rules.body.message).toContain('selfsubjectrulesreviews');
  });

  it('reports the version whose API it serves (no kubectl 1.32 skew warning)', async () => {
    const v = await t.raw('GET', '/version');
    expect(v.body).toMatchObject({ major: '1', minor: '32' });
    const policy = await t.raw('GET', '/apis/policy');
    expect(policy.body.preferredVersion.version).toBe('v1');
  });
});

describe('pods/log?follow=true', () => {
  function follow(pod: string): { chunks: string[]; ended: Promise<number> } {
    const chunks: string[] = [];
    const ended = new Promise<number>((resolve, reject) => {
      const req = httpsRequest(new URL(`/api/v1/namespaces/${ns}/pods/${pod}/log?follow=true`, t.server.url), { headers: { Authorization: `Bearer ${t.server.token}` }, ca: t.server.caPem }, (res) => {
        res.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    return { chunks, ended };
  }
  const until = async (probe: () => boolean): Promise<void> => {
    for (let i = 0; i < 100 && !probe(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(probe()).toBe(true);
  };

  it('streams what was written, then each new line, and ends when the container terminates', async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'tail' }, spec: { containers: [{ name: 'app', image: 'x:1' }] } } });
    await t.core.createNamespacedPodBinding({ name: 'tail', namespace: ns, body: { metadata: { name: 'tail' }, target: { kind: 'Node', name: 'node-a' } } });
    t.server.store.appendLog(ns, 'tail', 'app', 'started\n');
    const stream = follow('tail');
    await until(() => stream.chunks.join('') === 'started\n');
    t.server.store.appendLog(ns, 'tail', 'app', 'working\n');
    await until(() => stream.chunks.join('') === 'started\nworking\n');
    const pod = t.server.store.mustGet('pods', ns, 'tail');
    t.server.store.update('pods', { ...pod, status: { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, image: 'x:1', imageID: '', state: { terminated: { exitCode: 1, reason: 'Error' } } }] } }, { name: 'tail', namespace: ns, subresource: 'status' });
    expect(await stream.ended).toBe(200);
    expect(stream.chunks.join('')).toBe('started\nworking\n');
  });

  it('ends when the container restarts (its instance is over) or the pod is deleted', async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'roll' }, spec: { containers: [{ name: 'app', image: 'x:1' }] } } });
    await t.core.createNamespacedPodBinding({ name: 'roll', namespace: ns, body: { metadata: { name: 'roll' }, target: { kind: 'Node', name: 'node-a' } } });
    t.server.store.appendLog(ns, 'roll', 'app', 'one\n');
    const first = follow('roll');
    await until(() => first.chunks.join('') === 'one\n');
    t.server.store.rotateLog(ns, 'roll', 'app');
    expect(await first.ended).toBe(200);
    const second = follow('roll');
    // The new instance starts empty: wait until the follower is attached and sees a new line.
    await until(() => {
      if (second.chunks.length === 0) t.server.store.appendLog(ns, 'roll', 'app', 'two\n');
      return second.chunks.join('').startsWith('two\n');
    });
    t.server.store.delete('pods', ns, 'roll', { gracePeriodSeconds: 0 });
    expect(await second.ended).toBe(200);
  });
});
