import { makeInformer, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentManifest, startTestServer, statusOf, type TestServer } from './api/testing';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t?.server.stop();
});

const ns = 'default';

describe('authentication and error Status bodies', () => {
  it.each([
    // No token and a wrong token are both 401 with the real server's Status body.
    ['no token', null],
    ['wrong token', 'not-the-token'],
  ])('%s → 401 Unauthorized Status', async (_label, token) => {
    const res = await t.raw('GET', '/api/v1/pods', { token });
    expect(res.code).toBe(401);
    expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  });

  it.each([
    // A resource the simulator does not serve must not look like an empty success.
    ['GET', '/api/v1/namespaces/default/replicationcontrollers', 404, 'NotFound'],
    ['GET', '/apis/apps/v1/namespaces/default/controllerrevisions', 404, 'NotFound'],
    ['GET', '/api/v1/namespaces/default/pods/x/exec', 404, 'NotFound'],
    // Verbs a resource does not support are 405, not ignored.
    ['PUT', '/api/v1/namespaces/default/pods', 405, 'MethodNotAllowed'],
    ['POST', '/api/v1/namespaces/default/pods/p/status', 405, 'MethodNotAllowed'],
    ['GET', '/api/v1/namespaces/default/pods/p/binding', 405, 'MethodNotAllowed'],
  ])('%s %s → %i %s', async (method, path, code, reason) => {
    const res = await t.raw(method, path, method === 'GET' ? {} : { body: {} });
    expect(res.code).toBe(code);
    expect(res.body).toMatchObject({ kind: 'Status', status: 'Failure', reason, code });
  });

  it('a missing object is a 404 naming it, as the client sees it', async () => {
    const error = await t.apps.readNamespacedDeployment({ name: 'nope', namespace: ns }).catch((e) => e);
    expect(error.code).toBe(404);
    expect(statusOf(error)).toMatchObject({ reason: 'NotFound', message: 'deployments.apps "nope" not found', details: { name: 'nope', group: 'apps', kind: 'deployments' } });
  });

  it('a server-side apply body in YAML text is refused by name (kubectl sends JSON), nothing merged', async () => {
    await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'ssa' }, data: { a: '1' } } });
    const res = await t.raw('PATCH', `/api/v1/namespaces/${ns}/configmaps/ssa?fieldManager=me`, { body: 'data: {a: "2"}', contentType: PatchStrategy.ServerSideApply });
    expect(res.code).toBe(400);
    expect(res.body.message).toContain('YAML text is not supported');
    expect((await t.core.readNamespacedConfigMap({ name: 'ssa', namespace: ns })).data).toEqual({ a: '1' });
  });
});

describe('bad input', () => {
  it.each([
    // Each is refused with a 400 that names the problem, and nothing is written.
    ['malformed JSON', 'POST', '/api/v1/namespaces/default/configmaps', '{"metadata": {', /not valid JSON/],
    ['wrong kind for the URL', 'POST', '/api/v1/namespaces/default/configmaps', { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'bad-kind' } }, /Secret is not ConfigMap/],
    ['body namespace differs from URL', 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'bad-ns', namespace: 'kube-system' } }, /namespace of the provided object does not match/],
    ['name differs from URL on update', 'PUT', '/api/v1/namespaces/default/configmaps/bad-target', { metadata: { name: 'other' } }, /does not match the name on the URL/],
    ['negative grace period', 'DELETE', '/api/v1/namespaces/default/configmaps/bad-target?gracePeriodSeconds=-1', undefined, /gracePeriodSeconds/],
  ])('%s → 400', async (_label, method, path, body, message) => {
    if (!t.server.store.get('configmaps', ns, 'bad-target')) await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'bad-target' }, data: { v: '1' } } });
    const before = t.server.store.resourceVersion();
    const res = await t.raw(method, path, body === undefined ? {} : { body });
    expect(res.code).toBe(400);
    expect(res.body.reason).toBe('BadRequest');
    expect(res.body.message).toMatch(message);
    expect(t.server.store.resourceVersion()).toBe(before);
  });
});

it('resourceVersion on create is refused with the real 1.20 server\'s bare 500 (checked against kube-apiserver)', async () => {
  const res = await t.raw('POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'bad-rv', resourceVersion: '5' } } });
  expect(res.body).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'resourceVersion should not be set on objects to be created', code: 500 });
  expect(t.server.store.get('configmaps', 'default', 'bad-rv')).toBeUndefined();
});

describe('optimistic concurrency', () => {
  it('PUT with a stale resourceVersion is 409 Conflict with the exact Status body', async () => {
    const created = await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'occ' }, data: { v: '1' } } });
    const first = { ...created, data: { v: '2' } };
    const updated = await t.core.replaceNamespacedConfigMap({ name: 'occ', namespace: ns, body: first });
    expect(Number(updated.metadata!.resourceVersion)).toBeGreaterThan(Number(created.metadata!.resourceVersion));

    const stale = await t.raw('PUT', `/api/v1/namespaces/${ns}/configmaps/occ`, { body: { ...created, data: { v: '3' } } });

    expect(stale.code).toBe(409);
    expect(stale.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Operation cannot be fulfilled on configmaps "occ": the object has been modified; please apply your changes to the latest version and try again',
      reason: 'Conflict',
      details: { name: 'occ', kind: 'configmaps' },
      code: 409,
    });
    expect((await t.core.readNamespacedConfigMap({ name: 'occ', namespace: ns })).data).toEqual({ v: '2' });
  });

  it('a patch carrying a stale resourceVersion is a 409 too', async () => {
    const current = await t.core.readNamespacedConfigMap({ name: 'occ', namespace: ns });
    const res = await t.raw('PATCH', `/api/v1/namespaces/${ns}/configmaps/occ`, {
      body: { metadata: { resourceVersion: String(Number(current.metadata!.resourceVersion) - 1) }, data: { v: 'x' } },
      contentType: PatchStrategy.MergePatch,
    });
    expect(res.code).toBe(409);
  });

  it('creating an existing name is 409 AlreadyExists', async () => {
    const error = await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'occ' } } }).catch((e) => e);
    expect(error.code).toBe(409);
    expect(statusOf(error)).toMatchObject({ reason: 'AlreadyExists', message: 'configmaps "occ" already exists' });
  });
});

describe('patch types', () => {
  beforeAll(async () => {
    const d = deploymentManifest('patchme', 'app:1');
    d.spec.template.spec.containers.push({ name: 'sidecar', image: 'side:1', env: [{ name: 'A', value: '1' }] });
    await t.apps.createNamespacedDeployment({ namespace: ns, body: d });
  });

  it('strategic merge patch merges containers by name and keeps the others', async () => {
    const patched = await t.apps.patchNamespacedDeployment(
      { name: 'patchme', namespace: ns, body: { spec: { template: { spec: { containers: [{ name: 'main', image: 'app:2' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    const containers = patched.spec!.template.spec!.containers;
    expect(containers.map((c) => [c.name, c.image])).toEqual([
      ['main', 'app:2'],
      ['sidecar', 'side:1'],
    ]);
    expect(patched.metadata!.generation).toBe(2);
  });

  it('strategic merge patch merges env by name and honours $patch: delete', async () => {
    const patched = await t.apps.patchNamespacedDeployment(
      {
        name: 'patchme',
        namespace: ns,
        body: { spec: { template: { spec: { containers: [{ name: 'sidecar', env: [{ name: 'B', value: '2' }, { name: 'A', $patch: 'delete' }] }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec!.template.spec!.containers[1]!.env).toEqual([{ name: 'B', value: '2' }]);
  });

  it('JSON merge patch replaces lists wholesale', async () => {
    const res = await t.raw('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/patchme`, {
      body: { spec: { template: { spec: { containers: [{ name: 'only', image: 'only:1' }] } } } },
      contentType: PatchStrategy.MergePatch,
    });
    expect(res.code).toBe(200);
    expect(res.body.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(['only']);
    // Defaulting runs on patched objects, as on the real server.
    expect(res.body.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
  });

  it('JSON patch applies when its test holds and is 422 when it does not', async () => {
    const ok = await t.raw('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/patchme`, {
      body: [
        { op: 'test', path: '/spec/replicas', value: 2 },
        { op: 'replace', path: '/spec/replicas', value: 4 },
      ],
      contentType: PatchStrategy.JsonPatch,
    });
    expect(ok.code).toBe(200);
    expect(ok.body.spec.replicas).toBe(4);

    const failed = await t.raw('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/patchme`, {
      body: [
        { op: 'test', path: '/spec/replicas', value: 2 },
        { op: 'replace', path: '/spec/replicas', value: 9 },
      ],
      contentType: PatchStrategy.JsonPatch,
    });
    expect(failed.code).toBe(422);
    expect(failed.body.status).toBe('Failure');
    expect((await t.apps.readNamespacedDeployment({ name: 'patchme', namespace: ns })).spec!.replicas).toBe(4);
  });

  it('a JSON patch with an unknown op is a 422 (as from kube-apiserver 1.20) that names the problem', async () => {
    const res = await t.raw('PATCH', `/apis/apps/v1/namespaces/${ns}/deployments/patchme`, { body: [{ op: 'frobnicate', path: '/x' }], contentType: PatchStrategy.JsonPatch });
    expect(res.code).toBe(422);
    expect(res.body.message).toContain('frobnicate');
  });
});

describe('validation and defaulting', () => {
  it.each([
    // The template must match the selector, or the Deployment would orphan its own pods.
    ['selector mismatch', (d: any) => (d.spec.template.metadata.labels = { app: 'other' }), 'spec.template.metadata.labels'],
    ['duplicate container names', (d: any) => d.spec.template.spec.containers.push({ name: 'main', image: 'x:1' }), 'spec.template.spec.containers[1].name'],
    ['missing image', (d: any) => delete d.spec.template.spec.containers[0].image, 'spec.template.spec.containers[0].image'],
    ['bad imagePullPolicy', (d: any) => (d.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes'), 'spec.template.spec.containers[0].imagePullPolicy'],
    ['negative replicas', (d: any) => (d.spec.replicas = -1), 'spec.replicas'],
    ['bad name', (d: any) => (d.metadata.name = 'Bad_Name'), 'metadata.name'],
  ])('%s → 422 Invalid with details.causes[].field', async (_label, mutate, field) => {
    const d = deploymentManifest('invalid', 'app:1');
    mutate(d);
    const res = await t.raw('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: d });
    expect(res.code).toBe(422);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', details: { kind: 'Deployment', group: 'apps' } });
    expect(res.body.details.causes.map((c: { field: string }) => c.field)).toContain(field);
    expect(await t.raw('GET', `/apis/apps/v1/namespaces/${ns}/deployments/invalid`).then((r) => r.code)).toBe(404);
  });

  it('defaults a Deployment like the real server', async () => {
    const d = await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('defaults', 'app:latest') });
    expect(d.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(d.spec!.revisionHistoryLimit).toBe(10);
    expect(d.spec!.progressDeadlineSeconds).toBe(600);
    const c = d.spec!.template.spec!.containers[0]!;
    expect([c.imagePullPolicy, c.terminationMessagePolicy, c.terminationMessagePath]).toEqual(['Always', 'File', '/dev/termination-log']);
    expect(d.metadata!.generation).toBe(1);
  });

  it('a namespace that does not exist is a 404 on create', async () => {
    const error = await t.core.createNamespacedConfigMap({ namespace: 'ghost', body: { metadata: { name: 'x' } } }).catch((e) => e);
    expect(error.code).toBe(404);
    expect(statusOf(error).message).toBe('namespaces "ghost" not found');
  });
});

describe('dry run', () => {
  it.each([
    ['create', () => t.raw('POST', `/api/v1/namespaces/${ns}/configmaps?dryRun=All`, { body: { metadata: { name: 'dry-new' }, data: { a: '1' } } })],
    ['update', () => t.raw('PUT', `/api/v1/namespaces/${ns}/configmaps/dry?dryRun=All`, { body: { metadata: { name: 'dry' }, data: { a: 'changed' } } })],
    ['merge patch', () => t.raw('PATCH', `/api/v1/namespaces/${ns}/configmaps/dry?dryRun=All`, { body: { data: { a: 'patched' } }, contentType: PatchStrategy.MergePatch })],
    ['delete', () => t.raw('DELETE', `/api/v1/namespaces/${ns}/configmaps/dry?dryRun=All`)],
  ])('dryRun=All %s answers but leaves no trace', async (_label, act) => {
    if (!t.server.store.get('configmaps', ns, 'dry')) await t.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dry' }, data: { a: 'orig' } } });
    const before = t.server.store.resourceVersion();

    const res = await act();

    expect(res.code).toBeLessThan(300);
    expect(t.server.store.resourceVersion()).toBe(before);
    expect(t.server.store.get('configmaps', ns, 'dry-new')).toBeUndefined();
    expect((await t.core.readNamespacedConfigMap({ name: 'dry', namespace: ns })).data).toEqual({ a: 'orig' });
  });

  it('a dry run still validates', async () => {
    const d = deploymentManifest('dry-invalid', 'app:1');
    d.spec.template.metadata.labels = { app: 'nope' };
    const res = await t.raw('POST', `/apis/apps/v1/namespaces/${ns}/deployments?dryRun=All`, { body: d });
    expect(res.code).toBe(422);
  });

  it('an unknown dryRun value is refused like the real server (422 on CreateOptions), not a real write', async () => {
    const res = await t.raw('POST', `/api/v1/namespaces/${ns}/configmaps?dryRun=Some`, { body: { metadata: { name: 'dry-bad' } } });
    expect(res.code).toBe(422);
    expect(res.body).toMatchObject({ reason: 'Invalid', details: { kind: 'CreateOptions', causes: [{ field: 'dryRun' }] } });
    expect(t.server.store.get('configmaps', ns, 'dry-bad')).toBeUndefined();
  });
});

describe('selectors and pagination', () => {
  beforeAll(async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'paging' } } });
    for (let i = 0; i < 23; i++) {
      const tier = i % 3 === 0 ? 'web' : i % 3 === 1 ? 'db' : 'cache';
      const labels: Record<string, string> = { tier, idx: String(i) };
      if (i % 2 === 0) labels.even = 'yes';
      await t.core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: `cm-${String(i).padStart(2, '0')}`, labels } } });
    }
  });

  it.each([
    ['tier=web', 8],
    ['tier==web', 8],
    ['tier!=web', 15],
    ['tier in (web,db)', 16],
    ['tier notin (web,db)', 7],
    ['even', 12],
    ['!even', 11],
    ['tier=web,even', 4],
  ])('labelSelector %s selects %i', async (selector, expected) => {
    const list = await t.core.listNamespacedConfigMap({ namespace: 'paging', labelSelector: selector });
    expect(list.items).toHaveLength(expected);
  });

  it('field selectors on metadata.name and status.phase', async () => {
    const byName = await t.core.listNamespacedConfigMap({ namespace: 'paging', fieldSelector: 'metadata.name=cm-05' });
    expect(byName.items.map((c) => c.metadata!.name)).toEqual(['cm-05']);
    await t.core.createNamespacedPod({ namespace: 'paging', body: { metadata: { name: 'p1' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
    expect((await t.core.listNamespacedPod({ namespace: 'paging', fieldSelector: 'status.phase=Pending' })).items).toHaveLength(1);
    expect((await t.core.listNamespacedPod({ namespace: 'paging', fieldSelector: 'status.phase!=Pending' })).items).toHaveLength(0);
  });

  it.each([
    ['labelSelector', 'tier in (web'],
    ['labelSelector', 'a b c'],
    ['fieldSelector', 'spec.image=x'],
  ])('a bad %s (%s) is a 400, never an ignored filter', async (param, value) => {
    const res = await t.raw('GET', `/api/v1/namespaces/paging/configmaps?${param}=${encodeURIComponent(value)}`);
    expect(res.code).toBe(400);
    expect(res.body.reason).toBe('BadRequest');
  });

  it('pages with limit/continue at one consistent resourceVersion, even across writes', async () => {
    const first = await t.core.listNamespacedConfigMap({ namespace: 'paging', limit: 10 });
    // Written between pages: a consistent list must not show it.
    await t.core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { name: 'cm-zz-late' } } });
    const second = await t.core.listNamespacedConfigMap({ namespace: 'paging', limit: 10, _continue: first.metadata!._continue! });
    const third = await t.core.listNamespacedConfigMap({ namespace: 'paging', limit: 10, _continue: second.metadata!._continue! });

    const names = [...first.items, ...second.items, ...third.items].map((c) => c.metadata!.name);
    expect(names).toHaveLength(23);
    expect(new Set(names).size).toBe(23);
    expect(names).not.toContain('cm-zz-late');
    expect(first.metadata!.remainingItemCount).toBe(13);
    expect(second.metadata!.resourceVersion).toBe(first.metadata!.resourceVersion);
    expect(third.metadata!.resourceVersion).toBe(first.metadata!.resourceVersion);
    expect(third.metadata!._continue).toBeUndefined();
  });

  it('deletecollection removes only what the selector matches', async () => {
    const res = await t.raw('DELETE', '/api/v1/namespaces/paging/configmaps?labelSelector=tier%3Dcache');
    expect(res.code).toBe(200);
    expect(res.body.items).toHaveLength(7);
    expect(t.server.store.list('configmaps', { namespace: 'paging', labelSelector: 'tier=cache' })).toHaveLength(0);
    expect(t.server.store.list('configmaps', { namespace: 'paging', labelSelector: 'tier' })).toHaveLength(16);
  });

  it('generateName gets a 5-character suffix', async () => {
    const created = await t.core.createNamespacedConfigMap({ namespace: 'paging', body: { metadata: { generateName: 'gen-' } } });
    expect(created.metadata!.name).toMatch(/^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('a forged continue token is a 400', async () => {
    const res = await t.raw('GET', '/api/v1/namespaces/paging/configmaps?limit=5&continue=garbage');
    expect(res.code).toBe(400);
  });
});

describe('subresources', () => {
  it('scale reads and writes replicas through autoscaling/v1 Scale', async () => {
    await t.apps.createNamespacedDeployment({ namespace: ns, body: deploymentManifest('scaled', 'app:1', 2) });
    const scale = await t.apps.readNamespacedDeploymentScale({ name: 'scaled', namespace: ns });
    expect(scale.spec!.replicas).toBe(2);
    expect(scale.status!.selector).toBe('app=scaled');

    await t.apps.replaceNamespacedDeploymentScale({ name: 'scaled', namespace: ns, body: { ...scale, spec: { replicas: 5 } } });
    const viaPatch = await t.apps.patchNamespacedDeploymentScale(
      { name: 'scaled', namespace: ns, body: { spec: { replicas: 6 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    expect(viaPatch.spec!.replicas).toBe(6);
    expect((await t.apps.readNamespacedDeployment({ name: 'scaled', namespace: ns })).spec!.replicas).toBe(6);
  });

  it('status writes do not change spec, spec writes do not change status', async () => {
    const d = await t.apps.readNamespacedDeployment({ name: 'scaled', namespace: ns });
    await t.apps.replaceNamespacedDeploymentStatus({ name: 'scaled', namespace: ns, body: { ...d, spec: { ...d.spec!, replicas: 1 }, status: { replicas: 3 } } });
    const afterStatus = await t.apps.readNamespacedDeployment({ name: 'scaled', namespace: ns });
    expect([afterStatus.spec!.replicas, afterStatus.status!.replicas]).toEqual([6, 3]);
    await t.apps.replaceNamespacedDeployment({ name: 'scaled', namespace: ns, body: { ...afterStatus, status: { replicas: 99 } } });
    expect((await t.apps.readNamespacedDeployment({ name: 'scaled', namespace: ns })).status!.replicas).toBe(3);
  });

  it('binding assigns a node once; a second binding is a 409', async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'bindme' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
    await t.core.createNamespacedPodBinding({ name: 'bindme', namespace: ns, body: { metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'node-a' } } });
    const pod = await t.core.readNamespacedPod({ name: 'bindme', namespace: ns });
    expect(pod.spec!.nodeName).toBe('node-a');
    expect(pod.status!.conditions!.find((c) => c.type === 'PodScheduled')!.status).toBe('True');
    const again = await t.raw('POST', `/api/v1/namespaces/${ns}/pods/bindme/binding`, { body: { metadata: { name: 'bindme' }, target: { kind: 'Node', name: 'node-b' } } });
    expect(again.code).toBe(409);
  });

  it('a bound pod deleted with a grace period stays Terminating until deleted with 0; an unbound one goes at once', async () => {
    await t.core.deleteNamespacedPod({ name: 'bindme', namespace: ns });
    const terminating = await t.core.readNamespacedPod({ name: 'bindme', namespace: ns });
    expect(terminating.metadata!.deletionTimestamp).toBeDefined();
    expect(terminating.metadata!.deletionGracePeriodSeconds).toBe(30);

    await t.core.deleteNamespacedPod({ name: 'bindme', namespace: ns, gracePeriodSeconds: 0 });
    expect(t.server.store.get('pods', ns, 'bindme')).toBeUndefined();

    await t.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'unbound' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
    await t.core.deleteNamespacedPod({ name: 'unbound', namespace: ns });
    expect(t.server.store.get('pods', ns, 'unbound')).toBeUndefined();
  });

  it('logs: written in-process and through simlog, read through pods/log with previous and tailLines', async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'logger' }, spec: { containers: [{ name: 'app', image: 'x:1' }] } } });
    // Unbound, the real server has no kubelet to ask: 204 and no body.
    expect((await t.raw('GET', `/api/v1/namespaces/${ns}/pods/logger/log`)).code).toBe(204);
    await t.core.createNamespacedPodBinding({ name: 'logger', namespace: ns, body: { metadata: { name: 'logger' }, target: { kind: 'Node', name: 'node-a' } } });
    t.server.store.appendLog(ns, 'logger', 'app', 'first run\ncrashed\n');
    const rotate = await t.raw('POST', `/api/v1/namespaces/${ns}/pods/logger/simlog`, { body: { container: 'app', rotate: true, text: 'second run\n' } });
    expect(rotate.code).toBe(201);

    expect(await t.core.readNamespacedPodLog({ name: 'logger', namespace: ns, container: 'app' })).toBe('second run\n');
    expect(await t.core.readNamespacedPodLog({ name: 'logger', namespace: ns, container: 'app', previous: true, tailLines: 1 })).toBe('crashed\n');
    const wrong = await t.raw('GET', `/api/v1/namespaces/${ns}/pods/logger/log?container=nope`);
    expect(wrong.code).toBe(400);
    expect(wrong.body.message).toBe('container nope is not valid for pod logger');
  });

  it('eviction deletes the pod unless a disruption budget forbids it (429)', async () => {
    await t.core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'evictee', labels: { pdb: 'yes' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
    await t.raw('POST', `/apis/policy/v1beta1/namespaces/${ns}/poddisruptionbudgets`, { body: { metadata: { name: 'guard' }, spec: { minAvailable: 1, selector: { matchLabels: { pdb: 'yes' } } } } });
    const denied = await t.raw('POST', `/api/v1/namespaces/${ns}/pods/evictee/eviction`, { body: { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'evictee' } } });
    expect(denied.code).toBe(429);
    expect(t.server.store.get('pods', ns, 'evictee')).toBeDefined();

    await t.raw('DELETE', `/apis/policy/v1beta1/namespaces/${ns}/poddisruptionbudgets/guard`);
    const allowed = await t.raw('POST', `/api/v1/namespaces/${ns}/pods/evictee/eviction`, { body: { apiVersion: 'policy/v1beta1', kind: 'Eviction', metadata: { name: 'evictee' } } });
    expect(allowed.code).toBe(201);
    expect(t.server.store.get('pods', ns, 'evictee')).toBeUndefined();
  });
});

describe('HPA versions', () => {
  it('serves the same HPA as autoscaling/v2, v1 (converted) and v2beta2', async () => {
    await t.autoscaling.createNamespacedHorizontalPodAutoscaler({
      namespace: ns,
      body: { metadata: { name: 'h' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'scaled' }, maxReplicas: 5 } },
    });
    const beta = await t.raw('GET', `/apis/autoscaling/v2beta2/namespaces/${ns}/horizontalpodautoscalers/h`);
    expect(beta.body.apiVersion).toBe('autoscaling/v2beta2');
    expect(beta.body.spec.minReplicas).toBe(1);
    const groups = await t.raw('GET', '/apis');
    const autoscaling = groups.body.groups.find((g: { name: string }) => g.name === 'autoscaling');
    expect(autoscaling.versions.map((v: { version: string }) => v.version)).toEqual(['v2', 'v1', 'v2beta2']);
    // v1 shows the defaulted CPU metric as targetCPUUtilizationPercentage, as the real server converts it.
    const v1 = await t.raw('GET', `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers/h`);
    expect(v1.body).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 80 } });
    expect(v1.body.spec.metrics).toBeUndefined();
  });

  it('writes through autoscaling/v1 (create, merge patch) land in the v2 CPU metric, as the real server converts', async () => {
    const base = `/apis/autoscaling/v1/namespaces/${ns}/horizontalpodautoscalers`;
    const created = await t.raw('POST', base, { body: { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h1' }, spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'scaled' }, maxReplicas: 4, targetCPUUtilizationPercentage: 60 } } });
    expect(created.code).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { targetCPUUtilizationPercentage: 60 } });
    const patched = await t.raw('PATCH', `${base}/h1`, { body: { spec: { targetCPUUtilizationPercentage: 70 } }, contentType: 'application/merge-patch+json' });
    expect(patched.code).toBe(200);
    expect(patched.body.spec.targetCPUUtilizationPercentage).toBe(70);
    const v2 = await t.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: 'h1', namespace: ns });
    expect(v2.spec!.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    const ssa = await t.raw('PATCH', `${base}/h1?fieldManager=tool`, { body: { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler' }, contentType: 'application/apply-patch+yaml' });
    expect(ssa.code).toBe(400);
    expect(ssa.body.message).toContain('server-side apply of autoscaling/v1 HorizontalPodAutoscaler is not supported');
  });
});

describe('watch', () => {
  /** Reads newline-delimited watch events from a raw streaming request until `count` arrived. */
  async function collect(path: string, count: number, during: () => Promise<void>): Promise<{ type: string; object: any }[]> {
    const { request } = await import('node:https');
    const url = new URL(path, t.server.url);
    return new Promise((resolve, reject) => {
      const events: { type: string; object: any }[] = [];
      let buffer = '';
      const req = request(url, { headers: { Authorization: `Bearer ${t.server.token}` }, ca: t.server.caPem }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buffer.slice(0, nl)));
            buffer = buffer.slice(nl + 1);
            if (events.length >= count) {
              req.destroy();
              resolve(events);
            }
          }
        });
        res.on('end', () => resolve(events));
        void during().catch(reject);
      });
      req.on('error', (e) => (events.length >= count ? undefined : reject(e)));
      req.end();
    });
  }

  it('streams ADDED/MODIFIED/DELETED from a resourceVersion, filtered by label', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'watched' } } });
    const rv = t.server.store.resourceVersion();
    const events = await collect(`/api/v1/namespaces/watched/pods?watch=true&resourceVersion=${rv}&labelSelector=w%3Dyes`, 3, async () => {
      await t.core.createNamespacedPod({ namespace: 'watched', body: { metadata: { name: 'ignored' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
      await t.core.createNamespacedPod({ namespace: 'watched', body: { metadata: { name: 'w', labels: { w: 'yes' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
      await t.core.patchNamespacedPod({ name: 'w', namespace: 'watched', body: { metadata: { annotations: { touched: 'true' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await t.core.deleteNamespacedPod({ name: 'w', namespace: 'watched' });
    });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w', 'MODIFIED w', 'DELETED w']);
  });

  it('a resourceVersion older than the history is an ERROR 410 event', async () => {
    const hub = t.server.store.hub;
    // Fill the ring past its capacity so revision 1 is gone.
    for (let i = 0; i <= hub.capacity; i++) hub.publish({ rv: t.server.store.currentRv(), resource: 'nodes', namespace: undefined, type: 'MODIFIED', object: {} });
    const events = await collect('/api/v1/pods?watch=true&resourceVersion=1', 1, async () => undefined);
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410 } });
  });

  it('a client-node informer (list, then watch from the list resourceVersion) sees adds and updates', async () => {
    await t.core.createNamespace({ body: { metadata: { name: 'informed' } } });
    await t.core.createNamespacedPod({ namespace: 'informed', body: { metadata: { name: 'before' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
    const informer = makeInformer<V1Pod>(t.kc, '/api/v1/namespaces/informed/pods', () => t.core.listNamespacedPod({ namespace: 'informed' }));
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      informer.on('add', (pod) => seen.push(`add ${pod.metadata!.name}`));
      informer.on('update', (pod) => {
        seen.push(`update ${pod.metadata!.name}`);
        resolve();
      });
    });
    await informer.start();
    try {
      await t.core.createNamespacedPod({ namespace: 'informed', body: { metadata: { name: 'after' }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } });
      await t.core.patchNamespacedPod({ name: 'after', namespace: 'informed', body: { metadata: { labels: { x: 'y' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      await done;
    } finally {
      await informer.stop();
    }
    expect(seen).toEqual(['add before', 'add after', 'update after']);
  });
});
