import { z } from 'zod';

/**
 * The scenario file format (docs/scenarios.md; JSON Schema: schemas/scenario.json,
 * generated from this file). One file is one fault scenario or one family
 * member: the workloads of its healthy baseline, the application model of
 * every image (what the kubelet emulator plays out), a timeline of fault and
 * noise steps, parameters drawn per seed, the ground truth (for the oracle
 * only) and the oracle.
 *
 * Almost any string may hold `{{ expression }}` templates over the
 * parameters (test/sim/scenario/expr.ts); a field that must be a number may
 * be a template that evaluates to one.
 */

export const SCENARIO_API_VERSION = 'eks-reflexion.io/scenario/v1';

const template = z.string().regex(/^\s*\{\{[\s\S]*\}\}\s*$/, 'must be a number or a {{ template }}');
const int = z.union([z.number().int(), template]);
const nonNeg = z.union([z.number().min(0), template]);
const labels = z.record(z.string(), z.string());
/** Any JSON object (Kubernetes fields pass through to the API server, which validates them). */
const object = z.record(z.string(), z.unknown());

const dnsName = z.string().regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?|\{\{[\s\S]*\}\}.*|.*\{\{[\s\S]*\}\}.*)$/, 'must be a DNS-1123 name (lower case, digits, -) or hold a {{ template }}');

// ---- parameters ----

const paramName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier (letters, digits, _)');

export const ParameterSchema = z.union([
  z.strictObject({ name: paramName, int: z.tuple([z.number().int(), z.number().int()]).describe('integer uniform in [lo, hi]; one draw') }),
  z.strictObject({ name: paramName, uniform: z.tuple([z.number(), z.number()]).describe('real uniform in [lo, hi); one draw') }),
  z.strictObject({ name: paramName, pick: z.array(z.unknown()).min(1).describe('one element, uniformly; templates in it are expanded after the pick; one draw') }),
  z.strictObject({
    name: paramName,
    choice: z.array(z.strictObject({ value: z.unknown(), weight: z.number().positive() })).min(1).describe('one value with probability proportional to its weight; one draw'),
  }),
  z.strictObject({ name: paramName, bernoulli: z.number().min(0).max(1).describe('true with this probability; one draw') }),
  z.strictObject({ name: paramName, value: z.unknown().describe('a constant or a {{ template }} over earlier parameters; no draw') }),
]);
export type Parameter = z.infer<typeof ParameterSchema>;

// ---- application model ----

export const EndpointSchema = z.strictObject({
  path: z.string().optional().describe('httpGet path; omitted: any path (TCP)'),
  port: int,
  healthyAfterSeconds: nonNeg.optional().describe('default: the app startupSeconds'),
  responseSeconds: nonNeg.optional().describe('how long it takes to answer; a probe with a shorter timeout fails (readiness latency)'),
  hangsAfterSeconds: nonNeg.optional().describe('after this much uptime the process hangs (a deadlock): every HTTP probe times out until it restarts'),
  neverHealthy: z.boolean().optional(),
});

const ExitWhenSchema = z.union([
  z.strictObject({ envAbsent: z.string().describe('env var unset or empty at start') }),
  z.strictObject({ envEquals: z.strictObject({ name: z.string(), value: z.string() }) }),
  z.strictObject({ configKey: z.strictObject({ configMap: z.string(), key: z.string(), equals: z.string() }).describe('read at start') }),
  z.strictObject({ secretAbsent: z.string().describe('a Secret of that name missing from the namespace at start') }),
  z.strictObject({ dependencyUnready: z.string().describe('a Service in the namespace with no ready endpoints (checked while running)') }),
  z.strictObject({ always: z.literal(true).describe('every start (with afterSeconds: exit after T s)') }),
  z.strictObject({ randomPerHour: z.number().positive().describe('exits at random, this many times per hour of uptime on average') }),
  z.strictObject({ podStateCorrupt: z.literal(true).describe('the pod was marked by a corruptPodState step') }),
]);

export const ExitRuleSchema = z.strictObject({
  when: ExitWhenSchema,
  exitCode: int.default(1),
  afterSeconds: nonNeg.optional().describe('seconds after start (or after the condition is first seen) until the exit; default 1'),
  onlyFirstStarts: int.optional().describe('only the first N starts of a container in a pod exit (transient)'),
  log: z.string().optional().describe('a line printed just before the exit; {pod}, {container}, {namespace}, {uptime} are filled in'),
});
export type ExitRule = z.infer<typeof ExitRuleSchema>;

export const AppModelSchema = z.strictObject({
  startupSeconds: nonNeg.optional().describe('endpoints answer after this; default 2'),
  endpoints: z.array(EndpointSchema).optional().describe('default: /healthz on 8080'),
  memory: z
    .strictObject({
      baseMi: nonNeg.describe('working set after the ramp'),
      rampSeconds: nonNeg.optional().describe('time to reach baseMi; default 2'),
      growthMiPerMinute: nonNeg.optional().describe('a leak: added per minute of uptime'),
      spikes: z.strictObject({ everySeconds: z.union([z.number().positive(), template]), extraMi: nonNeg, durationSeconds: nonNeg.optional() }).optional(),
    })
    .optional(),
  cpu: z
    .strictObject({
      millicoresPerUnit: nonNeg.describe('CPU the service needs per unit of load (shared by its running pods; drives HPA metrics)'),
      load: nonNeg.optional().describe('initial load in units; change it with a load step'),
      retriesWhileUnready: z
        .strictObject({ service: z.string(), factor: z.union([z.number().min(1), template]) })
        .optional()
        .describe('a retry storm: while this Service of the namespace has no ready pod, the demand is factor × the load'),
    })
    .optional(),
  exit: z.array(ExitRuleSchema).optional().describe('exit rules; the earliest that applies wins'),
  logs: z
    .strictObject({
      onStart: z.array(z.string()).optional(),
      onFailure: z.array(z.string()).optional().describe('printed on every exit by a rule, after the rule’s own line'),
      periodic: z.strictObject({ everySeconds: z.union([z.number().positive(), template]), lines: z.array(z.string()).min(1) }).optional(),
    })
    .optional(),
});
export type AppModel = z.infer<typeof AppModelSchema>;

export const ImageSchema = z.strictObject({
  image: z.string().min(1),
  pullSeconds: nonNeg.optional(),
  requiresAuth: z.strictObject({ secretName: z.string() }).optional().describe('pulling needs an imagePullSecrets entry naming this Secret'),
  app: AppModelSchema.optional().describe('absent: the image pulls and runs, serving nothing'),
});

// ---- workloads ----

const namespaced = { namespace: dnsName, name: dnsName };

export const DeploymentSchema = z.strictObject({
  ...namespaced,
  replicas: int,
  labels: labels.optional().describe('added to app=<name> on the Deployment and its pods'),
  annotations: labels.optional(),
  progressDeadlineSeconds: int.optional().describe('default 120'),
  podSpec: object.optional().describe('extra pod spec fields (nodeSelector, volumes, imagePullSecrets…)'),
  containers: z.array(z.looseObject({ name: z.string(), image: z.string() })).min(1),
});

export const StatefulSetSchema = DeploymentSchema.omit({ progressDeadlineSeconds: true }).extend({ serviceName: z.string().optional() });

export const WorkloadsSchema = z.strictObject({
  namespaces: z.array(z.strictObject({ name: dnsName, labels: labels.optional(), annotations: labels.optional() })).default([]),
  configMaps: z.array(z.strictObject({ ...namespaced, data: z.record(z.string(), z.string()) })).default([]),
  secrets: z.array(z.strictObject({ ...namespaced, type: z.string().optional(), stringData: z.record(z.string(), z.string()) })).default([]),
  services: z
    .array(z.strictObject({ ...namespaced, selector: labels, ports: z.array(z.looseObject({ port: int })).min(1) }))
    .default([]),
  deployments: z.array(DeploymentSchema).default([]),
  statefulSets: z.array(StatefulSetSchema).default([]),
  hpas: z
    .array(z.strictObject({ ...namespaced, deployment: dnsName, minReplicas: int, maxReplicas: int, cpuUtilization: int }))
    .default([]),
});

export const NodeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS-1123 name'),
  cpu: z.string().optional().describe("allocatable CPU, e.g. '4'"),
  memory: z.string().optional().describe("allocatable memory, e.g. '8Gi'"),
  pods: z.number().int().positive().optional(),
  labels: labels.optional(),
  taints: z.array(z.strictObject({ key: z.string(), value: z.string().optional(), effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']) })).optional(),
});

// ---- steps (timeline, noise, manual fix) ----

const ref = z.strictObject({ kind: z.enum(['Namespace', 'ConfigMap', 'Secret', 'Service', 'Deployment', 'StatefulSet', 'HorizontalPodAutoscaler', 'Pod']), namespace: dnsName.optional(), name: dnsName });

const at = {
  at: nonNeg.optional().describe('seconds after the fault starts (default 0)'),
  when: z.string().optional().describe('an expression over the parameters; the step runs only when it holds (one file, several hidden causes)'),
};

export const StepSchema = z.union([
  z.strictObject({ ...at, apply: z.array(z.looseObject({ apiVersion: z.string(), kind: z.string(), metadata: object })).min(1).describe('create, or replace when it exists') }),
  z.strictObject({ ...at, patch: z.strictObject({ target: ref, type: z.enum(['strategic', 'merge', 'json']).default('strategic'), patch: z.unknown() }) }),
  z.strictObject({
    ...at,
    setContainer: z.strictObject({ namespace: dnsName, deployment: dnsName, container: z.looseObject({ name: z.string() }) }).describe('strategic merge into the named container (kubectl set/patch)'),
  }),
  z.strictObject({ ...at, scale: z.strictObject({ namespace: dnsName, deployment: dnsName, replicas: int }) }),
  z.strictObject({ ...at, rollback: z.strictObject({ namespace: dnsName, deployment: dnsName, toRevision: int.optional() }).describe('kubectl rollout undo') }),
  z.strictObject({ ...at, delete: ref }),
  z.strictObject({ ...at, load: z.strictObject({ image: z.string(), units: nonNeg }).describe("the image's load (CPU demand = units × millicoresPerUnit)") }),
  z.strictObject({
    ...at,
    corruptPodState: z
      .strictObject({ namespace: dnsName, selector: z.string().describe('label selector'), index: int.describe('which of the running pods, sorted by name (modulo their count)'), as: paramName.optional() })
      .describe("one pod's local state goes bad: its podStateCorrupt exit rules apply; `as` names the pod for later steps and the oracle"),
  }),
  z.strictObject({
    ...at,
    deletePod: z
      .strictObject({ namespace: dnsName, selector: z.string().describe('label selector'), index: int.describe('which of the running pods, sorted by name (modulo their count)'), as: paramName.optional() })
      .describe('one pod goes away (a node rotated, a spot instance reclaimed); its controller replaces it; `as` names it'),
  }),
  z.strictObject({ ...at, unpublish: z.strictObject({ image: z.string() }).describe("the registry loses this image (a retention policy deleted the tag); running containers keep running, new pulls fail") }),
  z.strictObject({ ...at, publish: z.strictObject({ image: z.string() }).describe('pushes one of the scenario’s images (again) to the registry') }),
  z.strictObject({ ...at, setApp: z.strictObject({ image: z.string(), app: AppModelSchema.partial() }).describe("change an image's behaviour in place (a dependency slows, a leak starts)") }),
  z.strictObject({
    ...at,
    events: z
      .strictObject({ namespace: dnsName, involvedObject: z.strictObject({ kind: z.string(), name: z.string() }), type: z.enum(['Normal', 'Warning']).default('Normal'), reason: z.string(), message: z.string(), count: int.default(1) })
      .describe('noise: Events as a controller would write them'),
  }),
]);
export type Step = z.infer<typeof StepSchema>;

// ---- ground truth and oracle ----

export const REMEDIES = ['restart_pod', 'rollout_restart', 'rollback_deployment', 'scale_deployment', 'patch_resources', 'patch_image', 'patch_probe', 'patch_hpa', 'escalate'] as const;
export type Remedy = (typeof REMEDIES)[number];
const ACTIONS = REMEDIES;

export const GroundTruthSchema = z.strictObject({
  symptom: z.strictObject({ kind: z.string(), subReason: z.string().optional() }).nullable().describe('what a detector should report; null for a control'),
  rootCause: z.string().min(1),
  fixable: z.boolean().describe('whether the closed action catalogue can fix it (false: the right outcome is escalate, or no action at all for a control)'),
  acceptableRemedies: z.array(z.enum(ACTIONS)),
  maskingRemedies: z.array(z.enum(ACTIONS)).default([]).describe('bring service back but leave the cause (counted apart, never a success)'),
  manualFix: z.array(StepSchema).default([]).describe('what an SRE would do by hand (the catalogue tests check the oracle turns true after it)'),
});

export const HealthCheckSchema = z.strictObject({
  namespace: dnsName,
  deployment: dnsName,
  container: z.string().optional().describe('the container `container` names in conditions; default: the one named like the Deployment, else the first'),
  hpa: dnsName.optional().describe('also read this HPA as `hpa`'),
  where: z.array(z.string()).default([]).describe('expressions over deployment, container, containers, pods, podNames, hpa and the parameters; all must be true'),
});

export type HealthCheck = z.infer<typeof HealthCheckSchema>;

export const OracleSchema = z.strictObject({
  stabilityWindowSeconds: z.number().int().min(0).default(60).describe('every check must hold at every look (each 5 s) over this window'),
  healthy: z.array(HealthCheckSchema).min(1).describe('rolled out, every replica updated, ready and available, no old pods, plus `where`'),
  collateral: z
    .strictObject({
      protectedNamespaces: z.array(z.string()).default(['kube-system', 'kube-public', 'kube-node-lease']),
      otherWorkloadsNotWorse: z.boolean().default(true),
    })
    .prefault({}),
});

export type Oracle = z.infer<typeof OracleSchema>;

// ---- latent causes (families) ----

const causeName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and -').max(40);

export const CauseSchema = z.strictObject({
  name: causeName.describe('the hidden cause; never written to the cluster (the instance and the benchmark see it)'),
  weight: z.number().min(0).default(1).describe('prior weight (relative to the other causes)'),
  priors: z
    .array(z.strictObject({ when: z.string().describe('an expression over the parameters drawn before the cause'), weight: z.number().min(0) }))
    .default([])
    .describe('prior adjustments: the first whose `when` holds replaces `weight` (a team that leaks 80 % of the time)'),
  parameters: z.array(ParameterSchema).default([]).describe("drawn after the cause, only when it is the drawn one (null otherwise)"),
  images: z
    .array(ImageSchema.extend({ app: AppModelSchema.partial().optional() }))
    .default([])
    .describe("the same reference as a file image: these fields of its app model replace the file's; another reference: an image of its own"),
  steps: z.array(StepSchema).default([]).describe('fault steps of this cause, after the file’s timeline.steps'),
  noise: z.array(StepSchema).default([]).describe('noise of this cause, after the file’s timeline.noise'),
  groundTruth: GroundTruthSchema,
  oracle: OracleSchema.optional().describe("replaces the file's oracle for this cause"),
});
export type Cause = z.infer<typeof CauseSchema>;

export const ScenarioFileSchema = z.strictObject({
  apiVersion: z.literal(SCENARIO_API_VERSION),
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be lower-case letters, digits and -').max(40),
  description: z.string().min(1),
  family: z.string().optional().describe('the latent-cause family this scenario belongs to'),
  authors: z.array(z.string()).default([]).describe('who wrote it (benchmarks report families by author)'),
  realCluster: z.boolean().default(true).describe('false when it needs a simulator-only part (the simulated HPA metric)'),
  identity: z
    .strictObject({ apps: z.array(z.string()).min(1).optional(), teams: z.array(z.string()).min(1).optional() })
    .optional()
    .describe('word lists for the built-in app/team/namespace draw'),
  parameters: z.array(ParameterSchema).default([]),
  target: z.strictObject({ kind: z.enum(['Deployment', 'StatefulSet', 'Pod']).default('Deployment'), namespace: dnsName, name: dnsName }),
  nodes: z.array(NodeSchema).optional().describe("the cluster's nodes; default three of 4 CPU / 8Gi"),
  images: z.array(ImageSchema).default([]),
  workloads: WorkloadsSchema.prefault({}),
  timeline: z
    .strictObject({
      settleSeconds: z.number().int().min(0).default(120).describe('the healthy baseline runs this long before the fault'),
      steps: z.array(StepSchema).default([]).describe('the fault: steps at their times'),
      noise: z.array(StepSchema).default([]).describe('background: benign rollouts, another crash-looping pod, noisy events'),
    })
    .prefault({}),
  groundTruth: GroundTruthSchema.optional().describe('required without causes; with causes each cause has its own'),
  oracle: OracleSchema.optional().describe('required unless every cause has its own'),
  causes: z
    .array(CauseSchema)
    .min(2)
    .optional()
    .describe('hidden causes of one symptom: one is drawn per seed (after the parameters, so priors can read them); `cause` names it in templates and `when`'),
  shift: z
    .strictObject({ causeWeights: z.record(z.string(), z.number().min(0)).describe('cause name → factor on its prior weight') })
    .optional()
    .describe("the author's mid-stream shift of the cause mix: what a benchmark passes as instantiate(seed, { causeWeights })"),
});

export type ScenarioFile = z.infer<typeof ScenarioFileSchema>;
