/**
 * The kubectl flows of issue #13 as data: each step runs the real kubectl
 * 1.32 binary against a target (the simulated API server + controllers, or a
 * real kube-apiserver + kube-controller-manager — neither has a kubelet, so
 * both see the same Pending pods), then optionally waits for the controllers.
 * Outputs are normalized (generated names, uids, times, ages, addresses) so the
 * two targets can be compared step by step; see api-kubectl-contract.test.ts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** kubectl 1.32 itself: /usr/bin/kubectl is a dispatcher that would pick a binary by server version. */
export const KUBECTL = process.env.KUBECTL ?? (existsSync('/usr/lib/google-cloud-sdk/bin/kubectl.1.32') ? '/usr/lib/google-cloud-sdk/bin/kubectl.1.32' : 'kubectl');

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlTarget {
  name: string;
  kubeconfig: string;
  /** A folder for discovery caches and manifests. */
  dir: string;
}

export function kubectl(t: KubectlTarget, args: string[], timeoutMs = 30_000): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', t.kubeconfig, '--cache-dir', join(t.dir, 'cache'), ...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const NS = 'kubectl-flows';

export const MANIFEST_CSA = (image: string): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {tier: back}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: ${image}
        env: [{name: MODE, value: "one"}]
`;

export const MANIFEST_SSA = (image: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: edge
  labels: {tier: front}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers:
      - name: edge
        image: ${image}
`;

export interface Step {
  /** Why this step exists (what of the API kubectl exercises). */
  why: string;
  args: string[];
  /** Files written into the target's dir before the step ({{dir}} in args is replaced by it). */
  files?: Record<string, string>;
  /** Polled (kubectl get -o jsonpath) until it prints `equals`, after the step. */
  waitFor?: { args: string[]; equals: string };
  /** Post-processing of stdout for steps whose raw output carries more than the API contract (documented per step). */
  view?: (stdout: string) => string;
  /** The outcome the step must have on every target (exit code and a pattern on stdout/stderr). */
  expect: { code: number; stdout?: RegExp; stderr?: RegExp };
}

const revision = (deploy: string, n: number): Step['waitFor'] => ({
  args: ['-n', NS, 'get', 'deployment', deploy, '-o', 'jsonpath={.metadata.annotations.deployment\\.kubernetes\\.io/revision}/{.status.observedGeneration}/{.metadata.generation}'],
  equals: `${n}/GEN/GEN`,
});

/** managedFields of kubectl's own managers (the controllers' Update entries are not part of this contract). */
function kubectlManagers(stdout: string): string {
  const object = JSON.parse(stdout) as { metadata: { managedFields?: { manager: string; operation: string; fieldsV1: unknown }[] } };
  return (object.metadata.managedFields ?? [])
    .filter((m) => m.manager.startsWith('kubectl'))
    .map((m) => `${m.manager} ${m.operation} ${JSON.stringify(m.fieldsV1)}`)
    .sort()
    .join('\n');
}

/**
 * describe's Events table is sorted by time at one-second resolution, so events of the same
 * second come in either order and the AGE column's width varies: compare them as a sorted set.
 */
function eventsInOrder(stdout: string): string {
  const at = stdout.indexOf('\nEvents:');
  if (at < 0) return stdout;
  const rows = stdout.slice(at).split('\n').filter((l) => /^\s+Normal|^\s+Warning/.test(l)).map((l) => normalize(l.trim()).replace(/\s+/g, ' '));
  return `${stdout.slice(0, at)}\nEvents:\n${rows.sort().join('\n')}\n`;
}

export const STEPS: Step[] = [
  { why: 'protobuf Namespace create', args: ['create', 'namespace', NS], expect: { code: 0, stdout: /namespace\/kubectl-flows created/ } },
  {
    why: 'protobuf Deployment create (kubectl create deployment sends application/vnd.kubernetes.protobuf)',
    args: ['-n', NS, 'create', 'deployment', 'web', '--image=registry.local/web:1', '--replicas=2'],
    waitFor: revision('web', 1),
    expect: { code: 0, stdout: /deployment.apps\/web created/ },
  },
  { why: 'rollout status reads the Deployment status the controller wrote', args: ['-n', NS, 'rollout', 'status', 'deployment/web', '--watch=false'], expect: { code: 0, stdout: /0 of 2 updated replicas are available/ } },
  {
    why: 'set image is a strategic merge patch on the container list',
    args: ['-n', NS, 'set', 'image', 'deployment/web', 'web=registry.local/web:2'],
    waitFor: revision('web', 2),
    expect: { code: 0, stdout: /image updated/ },
  },
  { why: 'rollout history lists ReplicaSet revisions', args: ['-n', NS, 'rollout', 'history', 'deployment/web'], expect: { code: 0, stdout: /^1 +<none>\n2 +<none>$/m } },
  { why: 'rollout history --revision prints the stored pod template', args: ['-n', NS, 'rollout', 'history', 'deployment/web', '--revision=2'], expect: { code: 0, stdout: /registry.local\/web:2/ } },
  { why: 'rollout undo patches the template back from the old ReplicaSet', args: ['-n', NS, 'rollout', 'undo', 'deployment/web'], waitFor: revision('web', 3), expect: { code: 0, stdout: /rolled back/ } },
  { why: 'the undone revision becomes revision 3', args: ['-n', NS, 'rollout', 'history', 'deployment/web'], expect: { code: 0, stdout: /^2 +<none>\n3 +<none>$/m } },
  { why: 'scale goes through the scale subresource', args: ['-n', NS, 'scale', 'deployment', 'web', '--replicas=3'], expect: { code: 0, stdout: /scaled/ } },
  { why: 'scale --dry-run=server answers without writing', args: ['-n', NS, 'scale', 'deployment', 'web', '--replicas=5', '--dry-run=server'], expect: { code: 0, stdout: /scaled \(server dry run\)/ } },
  { why: 'the dry run changed nothing', args: ['-n', NS, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'], expect: { code: 0, stdout: /^3$/ } },
  {
    why: 'patch (strategic) changes a field',
    args: ['-n', NS, 'patch', 'deployment', 'web', '-p', '{"spec":{"minReadySeconds":1}}'],
    // kubectl says "no change" only when nothing moved between its GET and its PATCH: let the
    // controller finish its status writes for the scale and this patch first, or the next step races it.
    waitFor: { args: ['-n', NS, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}/{.status.observedGeneration}/{.metadata.generation}'], equals: '3/GEN/GEN' },
    expect: { code: 0, stdout: /web patched$/m },
  },
  { why: 'the same patch again is a no-op the client can detect', args: ['-n', NS, 'patch', 'deployment', 'web', '-p', '{"spec":{"minReadySeconds":1}}'], expect: { code: 0, stdout: /patched \(no change\)/ } },
  { why: 'client-side apply creates with the last-applied annotation', args: ['-n', NS, 'apply', '-f', '{{dir}}/api.yaml'], files: { 'api.yaml': MANIFEST_CSA('registry.local/api:1') }, expect: { code: 0, stdout: /api created/ } },
  { why: 'client-side apply of the same file computes an empty patch', args: ['-n', NS, 'apply', '-f', '{{dir}}/api.yaml'], expect: { code: 0, stdout: /api unchanged/ } },
  { why: 'client-side apply of a change sends a strategic merge patch', args: ['-n', NS, 'apply', '-f', '{{dir}}/api.yaml'], files: { 'api.yaml': MANIFEST_CSA('registry.local/api:2') }, expect: { code: 0, stdout: /api configured/ } },
  { why: 'the applied image is live', args: ['-n', NS, 'get', 'deployment', 'api', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'], expect: { code: 0, stdout: /^registry.local\/api:2$/ } },
  { why: 'server-side apply creates the object', args: ['-n', NS, 'apply', '--server-side', '-f', '{{dir}}/edge.yaml'], files: { 'edge.yaml': MANIFEST_SSA('registry.local/edge:1', 1) }, expect: { code: 0, stdout: /edge serverside-applied/ } },
  { why: 'another manager takes the image', args: ['-n', NS, 'set', 'image', 'deployment/edge', 'edge=registry.local/edge:9'], expect: { code: 0, stdout: /image updated/ } },
  {
    why: 'server-side apply of a different image conflicts with that manager',
    args: ['-n', NS, 'apply', '--server-side', '-f', '{{dir}}/edge.yaml'],
    files: { 'edge.yaml': MANIFEST_SSA('registry.local/edge:2', 2) },
    expect: { code: 1, stderr: /conflict with "kubectl-set"/ },
  },
  { why: '--force-conflicts takes the field over', args: ['-n', NS, 'apply', '--server-side', '--force-conflicts', '-f', '{{dir}}/edge.yaml'], expect: { code: 0, stdout: /edge serverside-applied/ } },
  {
    why: 'managedFields record who owns what after the forced apply',
    args: ['-n', NS, 'get', 'deployment', 'edge', '-o', 'json', '--show-managed-fields'],
    view: kubectlManagers,
    expect: { code: 0, stdout: /kubectl Apply/ },
  },
  { why: 'server-side apply without the image field gives it up', args: ['-n', NS, 'apply', '--server-side', '-f', '{{dir}}/edge.yaml'], files: { 'edge.yaml': MANIFEST_SSA('registry.local/edge:2', 2).replace(/^\s+image:.*\n/m, '') }, expect: { code: 1, stderr: /image: Required value/ } },
  { why: 'autoscale creates an HPA (autoscaling/v2 where served, else v1)', args: ['-n', NS, 'autoscale', 'deployment', 'web', '--min=1', '--max=3', '--cpu-percent=50'], expect: { code: 0, stdout: /autoscaled/ } },
  { why: 'the HPA read as autoscaling/v1', args: ['-n', NS, 'get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-o', 'jsonpath={.apiVersion} {.spec}'], expect: { code: 0, stdout: /autoscaling\/v1 .*"targetCPUUtilizationPercentage":50/ } },
  { why: 'protobuf ConfigMap create (map<string,string> fields)', args: ['-n', NS, 'create', 'configmap', 'cfg', '--from-literal=mode=fast', '--from-literal=level=3'], expect: { code: 0, stdout: /configmap\/cfg created/ } },
  { why: 'the ConfigMap as stored', args: ['-n', NS, 'get', 'configmap', 'cfg', '-o', 'json'], expect: { code: 0, stdout: /"level": "3"/ } },
  { why: 'protobuf Secret create (map<string,bytes> is base64 in JSON)', args: ['-n', NS, 'create', 'secret', 'generic', 'sec', '--from-literal=password=hunter2'], expect: { code: 0, stdout: /secret\/sec created/ } },
  { why: 'the Secret as stored', args: ['-n', NS, 'get', 'secret', 'sec', '-o', 'jsonpath={.type} {.data}'], expect: { code: 0, stdout: /^Opaque \{"password":"aHVudGVyMg=="\}$/ } },
  { why: 'delete sends DeleteOptions', args: ['-n', NS, 'delete', 'configmap', 'cfg'], expect: { code: 0, stdout: /configmap "cfg" deleted/ } },
  { why: 'a missing object is NotFound as kubectl prints it', args: ['-n', NS, 'get', 'configmap', 'cfg'], expect: { code: 1, stderr: /configmaps "cfg" not found/ } },
  { why: 'auth can-i creates a SelfSubjectAccessReview', args: ['-n', NS, 'auth', 'can-i', 'create', 'deployments'], expect: { code: 0, stdout: /^yes$/m } },
  { why: 'logs of a pod no kubelet runs: no content', args: ['-n', NS, 'logs', 'deployment/web'], expect: { code: 0 } },
  { why: 'get -o json of the deployment', args: ['-n', NS, 'get', 'deployment', 'web', '-o', 'json'], expect: { code: 0, stdout: /"kind": "Deployment"/ } },
  { why: 'describe (server-side tables, events, ReplicaSets)', args: ['-n', NS, 'describe', 'deployment', 'web'], view: eventsInOrder, expect: { code: 0, stdout: /NewReplicaSet:/ } },
  { why: 'rollout status watches until its timeout when nothing becomes available', args: ['-n', NS, 'rollout', 'status', 'deployment/web', '--timeout=2s'], expect: { code: 1, stderr: /timed out waiting for the condition/ } },
  { why: 'a deployment scaled to 0 completes its rollout', args: ['-n', NS, 'scale', 'deployment', 'web', '--replicas=0'], waitFor: { args: ['-n', NS, 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}/{.status.observedGeneration}/{.metadata.generation}'], equals: '0/GEN/GEN' }, expect: { code: 0 } },
  { why: 'rollout status (watch) reports success', args: ['-n', NS, 'rollout', 'status', 'deployment/web', '--timeout=20s'], expect: { code: 0, stdout: /successfully rolled out/ } },
];

/** Masks what differs between any two runs of the same flow (names, ids, times, ages, addresses). */
export function normalize(text: string): string {
  const safe = '[bcdfghjklmnpqrstvwxz2456789]';
  return text
    .replace(new RegExp(`\\b(web|api|edge)-${safe}{6,10}-${safe}{5}\\b`, 'g'), '$1-HASH-POD')
    .replace(new RegExp(`\\b(web|api|edge)-${safe}{6,10}\\b`, 'g'), '$1-HASH')
    .replace(new RegExp(`pod-template-hash[=:]\\s*"?${safe}{6,10}"?`, 'g'), 'pod-template-hash=HASH')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UID')
    .replace(/"resourceVersion": "\d+"/g, '"resourceVersion": "RV"')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, 'TIME')
    .replace(/\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}/g, 'TIME')
    .replace(/https:\/\/127\.0\.0\.1:\d+/g, 'URL')
    .replace(/\b\d+(s|m\d*s?|h\d*m?)\b/g, 'AGE');
}

export async function runStep(t: KubectlTarget, step: Step): Promise<Outcome> {
  for (const [name, text] of Object.entries(step.files ?? {})) await writeFile(join(t.dir, name), text);
  const args = step.args.map((a) => a.replaceAll('{{dir}}', t.dir));
  const out = await kubectl(t, args);
  if (step.waitFor) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = await kubectl(t, step.waitFor.args);
      const [, gen1, gen2] = probe.stdout.split('/');
      const seen = gen1 !== undefined && gen1 === gen2 ? probe.stdout.replace(`/${gen1}/${gen2}`, '/GEN/GEN') : probe.stdout;
      if (seen === step.waitFor.equals) break;
      if (Date.now() > deadline) throw new Error(`${t.name}: after "${args.join(' ')}", ${step.waitFor.args.join(' ')} printed "${probe.stdout}", waited for "${step.waitFor.equals}"`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const stdout = step.view && out.code === 0 ? step.view(out.stdout) : out.stdout;
  return { code: out.code, stdout: normalize(stdout), stderr: normalize(out.stderr) };
}
