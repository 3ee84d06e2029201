import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detect, snapshotFromJson } from '../../bin/commands/detect';
import type { Incident } from '../../functions/domain/incident';

const FIXTURES = fileURLToPath(new URL('../fixtures/k8s/', import.meta.url));
const TAKEN_AT = '2026-11-23T14:00:00Z';
const opts = { cluster: 'c', takenAt: TAKEN_AT };

const pod = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop' }, ...extra });

describe('snapshotFromJson', () => {
  it.each([
    {
      // kubectl get pods,deploy -A -o json: one List, kinds on the items.
      why: 'a List of mixed kinds',
      doc: { kind: 'List', items: [pod('a'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' } }] },
      counts: { pods: 1, deployments: 1 },
      skipped: [],
    },
    {
      // The API server's typed list: items carry no kind, the list says it.
      why: 'a typed PodList whose items have no kind',
      doc: { kind: 'PodList', apiVersion: 'v1', items: [{ metadata: { name: 'a', namespace: 'shop' } }] },
      counts: { pods: 1 },
      skipped: [],
    },
    {
      why: 'an array of Lists, one of them broken',
      doc: [{ kind: 'List', items: [pod('a')] }, { kind: 'List', items: 'nope' }, { kind: 'EventList', items: [{ metadata: { name: 'e', namespace: 'shop' } }] }],
      counts: { pods: 1, events: 1 },
      skipped: [/list \[1\]: not a Kubernetes List/],
    },
    {
      // Kinds the detectors do not read must not be forced into a list they would misread.
      why: 'kinds the detectors do not read',
      doc: { kind: 'List', items: [{ kind: 'Service', metadata: { name: 's', namespace: 'shop' } }, pod('a')] },
      counts: { pods: 1 },
      skipped: [/Service shop\/s: kind Service is not read/],
    },
    {
      // events.k8s.io/v1 Events have another shape (regarding/note); reading them as core Events would be wrong.
      why: 'events.k8s.io Events',
      doc: { kind: 'List', items: [{ apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e', namespace: 'shop' } }] },
      counts: {},
      skipped: [/events\.k8s\.io\/v1 Events are not read/],
    },
    {
      why: 'items that are not objects or have no kind in a plain List',
      doc: { kind: 'List', items: [42, null, ['x'], { metadata: { name: 'anon' } }] },
      counts: {},
      skipped: [/item .*items\[0\]: not an object/, /items\[1\]: not an object/, /items\[2\]: not an object/, /object anon: no kind/],
    },
    {
      // A snapshot saved from the adapter (cluster/takenAt/pods...) passes through with its own name and time.
      why: 'a saved snapshot',
      doc: { cluster: 'prod', takenAt: '2026-01-01T00:00:00Z', pods: [pod('a')], events: 'bad' },
      counts: { pods: 1 },
      skipped: [/snapshot\.events: events: must be an array/],
    },
  ])('$why', ({ doc, counts, skipped }) => {
    const { snapshot, skipped: got } = snapshotFromJson(doc, opts);
    for (const key of ['namespaces', 'nodes', 'pods', 'deployments', 'replicaSets', 'statefulSets', 'hpas', 'events'] as const) {
      expect(snapshot[key], key).toHaveLength((counts as Record<string, number>)[key] ?? 0);
    }
    expect(got).toHaveLength(skipped.length);
    skipped.forEach((re, i) => expect(`${got[i]?.object}: ${got[i]?.why}`).toMatch(re));
    expect(snapshot.pods.every((p) => p.kind === 'Pod')).toBe(true);
  });

  it.each([
    // The saved name and time are the defaults; what the operator typed on the command line wins.
    { why: 'no flags: the saved snapshot keeps its own', explicit: {}, want: { cluster: 'prod', takenAt: '2026-01-01T00:00:00Z' } },
    { why: '--cluster-name given', explicit: { cluster: true }, want: { cluster: opts.cluster, takenAt: '2026-01-01T00:00:00Z' } },
    { why: '--taken-at given', explicit: { takenAt: true }, want: { cluster: 'prod', takenAt: opts.takenAt } },
  ])('a saved snapshot: $why', ({ explicit, want }) => {
    const { snapshot } = snapshotFromJson({ cluster: 'prod', takenAt: '2026-01-01T00:00:00Z', pods: [] }, { ...opts, explicit });
    expect({ cluster: snapshot.cluster, takenAt: snapshot.takenAt }).toEqual(want);
  });

  it.each([
    { why: 'a bare object', doc: { hello: 'world' } },
    { why: 'a string', doc: 'List' },
    { why: 'an empty array', doc: [] },
  ])('refuses a file that is not Lists at all: $why', ({ doc }) => {
    expect(() => snapshotFromJson(doc, opts)).toThrow(/List/);
  });
});

describe('eks-reflexion detect --snapshot', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'detect-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function invoke(argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await detect(argv, { env: {}, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: () => new Date(TAKEN_AT) });
    return { code, stdout, stderr };
  }
  const parse = (out: string) => JSON.parse(out) as { incidents: Incident[]; skipped: { object: string; why: string }[] };

  it('finds the bad rollout in a kubectl List fixture', async () => {
    const { code, stdout, stderr } = await invoke(['--snapshot', FIXTURES + 'checkout-bad-rollout.json', '--taken-at', TAKEN_AT, '--cluster-name', 'prod-eks']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = parse(stdout);
    expect(out.incidents).toHaveLength(1);
    expect(out.incidents[0]).toMatchObject({
      cluster: 'prod-eks',
      kind: 'ImagePullBackOff',
      target: { kind: 'Deployment', namespace: 'shop', name: 'checkout' },
      source: 'direct',
    });
  });

  it('--namespace limits the scan, --protected-namespace leaves a namespace out', async () => {
    // Same fixture: scoped elsewhere → nothing; protected → nothing, and the skip says why.
    const other = parse((await invoke(['--snapshot', FIXTURES + 'checkout-bad-rollout.json', '--namespace', 'elsewhere'])).stdout);
    expect(other.incidents).toEqual([]);
    const prot = parse((await invoke(['--snapshot', FIXTURES + 'checkout-bad-rollout.json', '--protected-namespace', 'shop'])).stdout);
    expect(prot.incidents).toEqual([]);
    expect(prot.skipped.some((s) => /shop/.test(s.object) && /protected/i.test(s.why))).toBe(true);
  });

  it('malformed objects are skipped with why; the scan goes on and finds the rest', async () => {
    const fixture = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(FIXTURES + 'checkout-bad-rollout.json', 'utf8'))) as { items: unknown[] };
    const file = join(dir, 'mixed.json');
    await writeFile(
      file,
      JSON.stringify([
        { kind: 'List', items: [...fixture.items, { kind: 'Pod', metadata: { name: 7, namespace: 'shop' } }, { kind: 'Pod', metadata: { name: 'x', namespace: 'shop' }, status: { containerStatuses: 'broken' } }] },
        { kind: 'List', items: [{ kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'shop' } }] },
      ]),
    );
    const { code, stdout } = await invoke(['--snapshot', file, '--taken-at', TAKEN_AT]);
    expect(code).toBe(0);
    const out = parse(stdout);
    expect(out.incidents.map((i) => i.target.name)).toEqual(['checkout']);
    const why = out.skipped.map((s) => `${s.object}: ${s.why}`).join('\n');
    expect(why).toMatch(/Pod #\d+/);
    expect(why).toMatch(/Pod shop\/x: status\.containerStatuses/);
    expect(why).toMatch(/ConfigMap shop\/cm: kind ConfigMap is not read/);
  });

  it.each([
    { why: 'unknown flag', argv: ['--snapshott', 'x'], code: 2, message: /unknown option '--snapshott'/ },
    { why: '--snapshot with --kubeconfig', argv: ['--snapshot', 'x', '--kubeconfig', 'y'], code: 2, message: /cannot be combined/ },
    { why: 'a time that is not RFC 3339', argv: ['--snapshot', 'x', '--taken-at', 'yesterday'], code: 2, message: /--taken-at must be an RFC 3339/ },
    { why: '--taken-at without a file', argv: ['--taken-at', TAKEN_AT], code: 2, message: /only applies to --snapshot/ },
    { why: 'a namespace that cannot exist', argv: ['--snapshot', 'x', '--namespace', 'Shop_1'], code: 2, message: /'Shop_1' is not a namespace name/ },
    // Files named on the command line that cannot be used are usage errors too (exit 2), naming the file.
    { why: 'a missing file', argv: ['--snapshot', '/nonexistent/snap.json'], code: 2, message: /cannot read \/nonexistent\/snap.json/ },
    { why: 'a kubeconfig that does not exist', argv: ['--kubeconfig', '/nonexistent/kubeconfig'], code: 2, message: /--kubeconfig \/nonexistent\/kubeconfig: / },
  ])('$why → exit $code with a clear message', async ({ argv, code, message }) => {
    const result = await invoke(argv);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it.each([
    { why: 'not JSON', content: '{"kind": "List", items: [', message: /is not JSON/ },
    { why: 'JSON but not Lists', content: '{"apiVersion": "v1"}', message: /expected a Kubernetes List/ },
  ])('a file that is $why → exit 2 (bad input file), nothing on stdout', async ({ content, message }) => {
    const file = join(dir, 'bad.json');
    await writeFile(file, content);
    const result = await invoke(['--snapshot', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });
});
