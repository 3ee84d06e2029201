import { describe, expect, it } from 'vitest';
import { ApiError } from './api/status';
import { jsonPatch, mergePatch, strategicMerge } from './api/patch';
import { labelSelectorString, parseLabelSelector, matchesRequirements } from './api/selectors';

const pod = () => ({
  metadata: { name: 'p', labels: { a: '1' }, finalizers: ['x'] },
  spec: {
    containers: [
      { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }] },
      { name: 'side', image: 'side:1' },
    ],
    tolerations: [{ key: 't1' }],
  },
  status: {
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'PodScheduled', status: 'True' },
    ],
  },
});

describe('strategic merge patch', () => {
  it.each([
    // Containers merge by name: only the named one changes.
    ['container by name', { spec: { containers: [{ name: 'side', image: 'side:2' }] } }, (r: any) => r.spec.containers.map((c: any) => c.image), ['app:1', 'side:2']],
    // A new name is appended, not replacing the list.
    ['new container appended', { spec: { containers: [{ name: 'new', image: 'n:1' }] } }, (r: any) => r.spec.containers.map((c: any) => c.name), ['app', 'side', 'new']],
    // Nested lists with their own merge keys (env by name, ports by containerPort).
    ['env merged inside a container', { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '2' }] }] } }, (r: any) => r.spec.containers[0].env.map((e: any) => e.name), ['A', 'B']],
    ['ports merged by containerPort', { spec: { containers: [{ name: 'app', ports: [{ containerPort: 80, name: 'http' }] }] } }, (r: any) => r.spec.containers[0].ports, [{ containerPort: 80, name: 'http' }]],
    // $patch: delete removes one element of a keyed list.
    ['$patch delete', { spec: { containers: [{ name: 'side', $patch: 'delete' }] } }, (r: any) => r.spec.containers.map((c: any) => c.name), ['app']],
    // $patch: replace on a list replaces it.
    ['$patch replace list', { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o:1' }] } }, (r: any) => r.spec.containers.map((c: any) => c.name), ['only']],
    // Lists without a merge key (tolerations) are replaced atomically.
    ['atomic list replaced', { spec: { tolerations: [{ key: 't2' }] } }, (r: any) => r.spec.tolerations, [{ key: 't2' }]],
    // Conditions merge by type, and $setElementOrder (what a kubelet sends) reorders them.
    [
      'conditions by type with $setElementOrder',
      { status: { '$setElementOrder/conditions': [{ type: 'PodScheduled' }, { type: 'Ready' }], conditions: [{ type: 'Ready', status: 'True' }] } },
      (r: any) => r.status.conditions,
      [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'True' },
      ],
    ],
    // finalizers is a merged primitive list; $deleteFromPrimitiveList removes values.
    ['finalizers union', { metadata: { finalizers: ['y'] } }, (r: any) => r.metadata.finalizers, ['x', 'y']],
    ['$deleteFromPrimitiveList', { metadata: { '$deleteFromPrimitiveList/finalizers': ['x'] } }, (r: any) => r.metadata.finalizers, []],
    // null deletes a key.
    ['null deletes', { metadata: { labels: { a: null } } }, (r: any) => r.metadata.labels, {}],
    // $retainKeys keeps only the listed keys of the map it sits in.
    ['$retainKeys', { spec: { $retainKeys: ['containers'] } }, (r: any) => Object.keys(r.spec), ['containers']],
  ])('%s', (_label, patch, select, expected) => {
    const result = strategicMerge(pod() as any, structuredClone(patch) as any);
    expect(select(result)).toEqual(expected);
  });

  it('an unknown directive is refused with a 400 naming it, not ignored', () => {
    expect(() => strategicMerge(pod() as any, { spec: { $frob: 1 } } as any)).toThrowError(/\$frob/);
  });

  it('a keyed list element without its merge key is refused', () => {
    const error = (() => {
      try {
        strategicMerge(pod() as any, { spec: { containers: [{ image: 'x' }] } } as any);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(400);
  });
});

describe('JSON merge patch', () => {
  it('replaces lists and deletes with null (RFC 7386)', () => {
    expect(mergePatch(pod(), { spec: { containers: [{ name: 'x' }] }, metadata: { labels: null } })).toMatchObject({ spec: { containers: [{ name: 'x' }] }, metadata: { name: 'p' } });
    expect((mergePatch(pod(), { metadata: { labels: null } }) as any).metadata.labels).toBeUndefined();
  });
});

describe('JSON patch (RFC 6902)', () => {
  it.each([
    ['add to end of list', [{ op: 'add', path: '/spec/tolerations/-', value: { key: 't2' } }], (r: any) => r.spec.tolerations.length, 2],
    ['remove', [{ op: 'remove', path: '/metadata/labels/a' }], (r: any) => r.metadata.labels, {}],
    ['replace', [{ op: 'replace', path: '/spec/containers/0/image', value: 'app:9' }], (r: any) => r.spec.containers[0].image, 'app:9'],
    ['move', [{ op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/b' }], (r: any) => r.metadata.labels, { b: '1' }],
    ['copy', [{ op: 'copy', from: '/metadata/labels', path: '/metadata/annotations' }], (r: any) => r.metadata.annotations, { a: '1' }],
    ['escaped pointer', [{ op: 'add', path: '/metadata/labels/example.com~1x', value: 'y' }], (r: any) => r.metadata.labels['example.com/x'], 'y'],
    ['test passes', [{ op: 'test', path: '/metadata/name', value: 'p' }], (r: any) => r.metadata.name, 'p'],
  ])('%s', (_label, ops, select, expected) => {
    expect(select(jsonPatch(pod() as any, ops))).toEqual(expected);
  });

  it.each([
    ['failed test', [{ op: 'test', path: '/metadata/name', value: 'q' }], 422],
    ['missing path on replace', [{ op: 'replace', path: '/metadata/nothing', value: 1 }], 422],
    ['index out of bounds', [{ op: 'add', path: '/spec/tolerations/5', value: {} }], 422],
    ['not an array', { op: 'add' }, 400],
    ['unknown op (422 like kube-apiserver)', [{ op: 'merge', path: '/x' }], 422],
  ])('%s → %i and the original untouched', (_label, ops, code) => {
    const original = pod();
    const error = (() => {
      try {
        jsonPatch(original as any, ops);
      } catch (e) {
        return e;
      }
    })();
    expect((error as ApiError).code).toBe(code);
    expect(original).toEqual(pod());
  });
});

describe('label selector strings', () => {
  it('round-trips a metav1.LabelSelector to the string kubectl prints', () => {
    const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'legacy', operator: 'DoesNotExist' }] };
    const text = labelSelectorString(selector);
    expect(text).toBe('!legacy,app=web,tier in (a,b)');
    expect(matchesRequirements(parseLabelSelector(text), { app: 'web', tier: 'a' })).toBe(true);
    expect(matchesRequirements(parseLabelSelector(text), { app: 'web', tier: 'a', legacy: '1' })).toBe(false);
  });
});
