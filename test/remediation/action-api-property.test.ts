import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { handleActionPayload } from '../../functions/app/action-api/router';
import { API_ACTIONS, type ApiActionName } from '../../functions/app/action-api-schema';
import type { AppDeps } from '../../functions/app/deps';
import { defaultPolicyConfig } from '../../functions/domain/policy-config';
import { silentLogger } from '../../functions/ports/logger';

/**
 * Any port call at all is recorded (and fails): a malformed payload must be
 * turned away before the handler touches the cluster, memory or workflow.
 */
const POLICY = defaultPolicyConfig();

function untouchableDeps(): { deps: AppDeps; calls: string[] } {
  const calls: string[] = [];
  const trap = (what: string): unknown =>
    new Proxy(
      {},
      {
        get(_t, prop) {
          if (prop === 'then') return undefined;
          if (prop === 'namespace') return 'test';
          return (..._args: unknown[]) => {
            calls.push(`${what}.${String(prop)}`);
            throw new Error(`unexpected call ${what}.${String(prop)}`);
          };
        },
      },
    );
  const deps: AppDeps = {
    clusterNames: ['prod'],
    cluster: async (name) => {
      calls.push(`cluster(${name})`);
      return trap('cluster') as never;
    },
    memory: { namespace: 'test', episodes: trap('episodes') as never, strategies: trap('strategies') as never, locks: trap('locks') as never, idempotency: trap('idempotency') as never, approvals: trap('approvals') as never },
    reasoner: trap('reasoner') as never,
    clock: { now: () => new Date('2026-03-01T12:00:00Z') },
    policy: POLICY,
    logger: silentLogger,
    events: trap('events') as never,
    workflow: trap('workflow') as never,
    random: () => 0.5,
  };
  return { deps, calls };
}

/** One valid payload per action, with the fields a payload cannot do without. */
const VALID: Record<ApiActionName, { payload: Record<string, unknown>; required: string[] }> = {
  detect_failures: { payload: { action: 'detect_failures', cluster_name: 'prod', namespace: 'shop' }, required: ['cluster_name'] },
  // Reads default a missing namespace to `default` (payload aliases, README), so namespace is not required for them.
  analyze_pod: { payload: { action: 'analyze_pod', cluster_name: 'prod', namespace: 'shop', pod: 'web-1' }, required: ['cluster_name', 'pod'] },
  pod_status: { payload: { action: 'pod_status', cluster_name: 'prod', namespace: 'shop', pod: 'web-1' }, required: ['cluster_name'] },
  recent_events: { payload: { action: 'recent_events', cluster_name: 'prod', namespace: 'shop', kind: 'Pod', name: 'web-1', limit: 10 }, required: ['cluster_name'] },
  cluster_metrics: { payload: { action: 'cluster_metrics', cluster_name: 'prod' }, required: ['cluster_name'] },
  restart_pod: { payload: { action: 'restart_pod', cluster_name: 'prod', namespace: 'shop', pod: 'web-1', dry_run: true }, required: ['cluster_name', 'namespace', 'pod'] },
  rollout_restart: { payload: { action: 'rollout_restart', cluster_name: 'prod', namespace: 'shop', deployment: 'web' }, required: ['cluster_name', 'namespace', 'deployment'] },
  rollback_deployment: { payload: { action: 'rollback_deployment', cluster_name: 'prod', namespace: 'shop', deployment: 'web', to_revision: 2 }, required: ['cluster_name', 'namespace', 'deployment'] },
  scale_deployment: { payload: { action: 'scale_deployment', cluster_name: 'prod', namespace: 'shop', deployment: 'web', replicas: 3 }, required: ['cluster_name', 'namespace', 'deployment', 'replicas'] },
  patch_resources: {
    payload: { action: 'patch_resources', cluster_name: 'prod', namespace: 'shop', deployment: 'web', container: 'app', limits: { memory: '512Mi' } },
    required: ['cluster_name', 'namespace', 'deployment', 'container', 'limits'],
  },
  patch_image: { payload: { action: 'patch_image', cluster_name: 'prod', namespace: 'shop', deployment: 'web', container: 'app', image: 'registry/web:1.2' }, required: ['cluster_name', 'namespace', 'deployment', 'container', 'image'] },
  patch_probe: {
    payload: { action: 'patch_probe', cluster_name: 'prod', namespace: 'shop', deployment: 'web', container: 'app', probe: 'readiness', period_seconds: 20 },
    required: ['cluster_name', 'namespace', 'deployment', 'container', 'probe'],
  },
  patch_hpa: { payload: { action: 'patch_hpa', cluster_name: 'prod', namespace: 'shop', hpa: 'web', max_replicas: 20 }, required: ['cluster_name', 'namespace', 'hpa', 'max_replicas'] },
  execute_strategy: {
    payload: { action: 'execute_strategy', cluster_name: 'prod', strategy_id: 'abc123', namespace: 'shop', target_name: 'web' },
    required: ['cluster_name', 'strategy_id', 'namespace', 'target_name'],
  },
  start_remediation: { payload: { action: 'start_remediation', cluster_name: 'prod', namespace: 'shop', target_name: 'web' }, required: ['cluster_name', 'namespace', 'target_name'] },
  list_strategies: { payload: { action: 'list_strategies', signature: 'ImagePullBackOff:tag-not-found' }, required: [] },
  list_episodes: { payload: { action: 'list_episodes', namespace: 'shop', outcome: 'resolved', limit: 10 }, required: [] },
  trust_report: { payload: { action: 'trust_report', namespace: 'shop', window_seconds: 600, min_n: 5 }, required: [] },
  clear_memory: { payload: { action: 'clear_memory', scope: 'all', confirm: true }, required: ['scope', 'confirm'] },
  approval_status: { payload: { action: 'approval_status', digest: 'sha256:abababababababababababababababababababababababababababababababab' }, required: ['digest'] },
  approve_action: { payload: { action: 'approve_action', digest: 'sha256:abababababababababababababababababababababababababababababababab', approver: 'alice' }, required: ['digest', 'approver'] },
  deny_action: { payload: { action: 'deny_action', digest: 'sha256:abababababababababababababababababababababababababababababababab', approver: 'alice', note: 'not now' }, required: ['digest', 'approver'] },
};

const wrongValue = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);
const notAnAction = fc.string({ maxLength: 30 }).filter((s) => !(API_ACTIONS as readonly string[]).includes(s));
const payloadArb = fc.constantFrom(...API_ACTIONS).map((a) => VALID[a]);

/** A valid payload with exactly one thing broken, so it can never be valid by accident. */
const malformed = fc.oneof(
  // A required field removed.
  payloadArb.filter((v) => v.required.length > 0).chain((v) => fc.constantFrom(...v.required).map((k) => {
    const p = { ...v.payload };
    delete p[k];
    return p;
  })),
  // A present field (other than action) given a value of the wrong type; strings stay wrong because every field has a shape.
  payloadArb.chain((v) =>
    fc.tuple(fc.constantFrom(...Object.keys(v.payload).filter((k) => k !== 'action')), wrongValue).map(([k, value]) => {
      const current = v.payload[k];
      const replaced = typeof current === 'string' && typeof value !== 'string' ? value : typeof current === 'number' ? 'not-a-number' : typeof current === 'boolean' ? 'yes' : typeof current === 'object' ? 42 : null;
      return { ...v.payload, [k]: replaced };
    }),
  ),
  // An unknown field: strict schemas refuse what they do not know.
  payloadArb.chain((v) =>
    fc.tuple(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !(k in v.payload) && !['namespace', 'dry_run', 'reason', 'idempotency_key', 'pod', 'label_selector', 'kind', 'name', 'limit', 'to_revision', 'requests', 'limits', 'initial_delay_seconds', 'period_seconds', 'timeout_seconds', 'failure_threshold', 'target_kind', 'cluster_name', 'signature', 'outcome', '__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'].includes(k)), fc.jsonValue()).map(([k, value]) => ({ ...v.payload, [k]: value })),
  ),
  // Numbers out of bounds.
  fc.oneof(
    fc.integer({ min: 51, max: 1_000_000 }).map((n) => ({ ...VALID.scale_deployment.payload, replicas: n })),
    fc.integer({ min: -1_000_000, max: -1 }).map((n) => ({ ...VALID.scale_deployment.payload, replicas: n })),
    fc.double({ min: 0.1, max: 49.9, noInteger: true }).map((n) => ({ ...VALID.scale_deployment.payload, replicas: n })),
    fc.integer({ min: 101, max: 1_000_000 }).map((n) => ({ ...VALID.patch_hpa.payload, max_replicas: n })),
    fc.integer({ min: 301 }).map((n) => ({ ...VALID.patch_probe.payload, period_seconds: n })),
    fc.integer({ max: 0 }).map((n) => ({ ...VALID.rollback_deployment.payload, to_revision: n })),
  ),
  // Names that are not Kubernetes names, images that carry shell, quantities that are not quantities.
  fc.oneof(
    fc.constantFrom('Shop', 'shop_ns', '-shop', 'a'.repeat(64), '', 'shop;rm -rf /').map((ns) => ({ ...VALID.rollout_restart.payload, namespace: ns })),
    fc.constantFrom('web app', '$(whoami)', 'web|sh', '').map((image) => ({ ...VALID.patch_image.payload, image })),
    fc.constantFrom('1 Gi', 'lots', '-', '1gb').map((memory) => ({ ...VALID.patch_resources.payload, limits: { memory } })),
  ),
  // clear_memory without the confirmation.
  fc.constantFrom(false, 'true', 1, null).map((confirm) => ({ ...VALID.clear_memory.payload, confirm })),
  // No such action, or no action at all.
  notAnAction.map((action) => ({ ...VALID.scale_deployment.payload, action })),
  fc.constant({ cluster_name: 'prod' }),
  // Not an object.
  fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 }), fc.boolean()),
  // A cluster this deployment is not configured for.
  payloadArb.filter((v) => 'cluster_name' in v.payload).map((v) => ({ ...v.payload, cluster_name: 'someone-elses-cluster' })),
);

describe('handleActionPayload with malformed payloads', () => {
  it('every base payload of the generator is valid (so each mutation is what breaks it)', async () => {
    const { buildPayloadSchemas } = await import('../../functions/app/action-api-schema');
    const schemas = buildPayloadSchemas(defaultPolicyConfig());
    for (const action of API_ACTIONS) expect(schemas[action].safeParse(VALID[action].payload).success, action).toBe(true);
  });

  it('answers ok:false with a message naming the problem, never throws, and touches nothing (1 200 runs)', async () => {
    await fc.assert(
      fc.asyncProperty(malformed, async (payload) => {
        const { deps, calls } = untouchableDeps();
        const answer = await handleActionPayload(deps, payload);
        expect(answer.ok).toBe(false);
        if (!answer.ok) {
          expect(['INVALID_PAYLOAD', 'UNKNOWN_ACTION', 'UNKNOWN_CLUSTER']).toContain(answer.error.code);
          expect(answer.error.message.length).toBeGreaterThan(3);
        }
        expect(calls).toEqual([]);
      }),
      { numRuns: 1200, seed: 20260301 },
    );
  });

  it.each([
    // The brief's own example: a bound from the policy, named with its field.
    [{ ...VALID.scale_deployment.payload, replicas: 51 }, 'INVALID_PAYLOAD', 'replicas: must be <= 50'],
    [{ ...VALID.scale_deployment.payload, replicas: '3' }, 'INVALID_PAYLOAD', 'replicas: expected number'],
    [{ ...VALID.scale_deployment.payload, extra: 1 }, 'INVALID_PAYLOAD', "unknown field 'extra'"],
    [{ ...VALID.clear_memory.payload, confirm: false }, 'INVALID_PAYLOAD', 'confirm: must be true to clear memory'],
    [{ action: 'delete_namespace', cluster_name: 'prod' }, 'UNKNOWN_ACTION', "'delete_namespace' is not an action"],
    [{ ...VALID.rollout_restart.payload, cluster_name: 'other' }, 'UNKNOWN_CLUSTER', "cluster_name: 'other' is not configured"],
    [[], 'INVALID_PAYLOAD', 'payload: expected a JSON object'],
  ])('%j → %s "%s"', async (payload, code, message) => {
    const { deps } = untouchableDeps();
    const answer = await handleActionPayload(deps, payload);
    expect(answer).toMatchObject({ ok: false, error: { code } });
    if (!answer.ok) expect(answer.error.message).toContain(message);
  });
});
