import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseState } from '../../functions/app/steps/state';
import { FactSchema, MAX_FACTS, type Fact } from '../../functions/domain/facts';
import type { FailureKind } from '../../functions/domain/incident';
import { detect, snapshotFromFiles } from './support';

/**
 * Every detector states what it found as typed facts beside its notes, so
 * playbooks, templates, verification and selection read numbers and names
 * instead of parsing the notes back. One case per detector, from its
 * fixture; the values are the fixture's own (a limit, a probe timing, an
 * HPA metric), so a detector that drops or misreads one fails here.
 */

const incidentOf = (file: string, name: string) => {
  const found = detect(snapshotFromFiles(file, 'nodes.json', 'namespaces.json')).incidents.find((i) => i.target.name === name);
  if (!found) throw new Error(`${file} has no incident for ${name}`);
  return found;
};

describe('detectors emit typed facts beside their notes', () => {
  const cases: { why: string; file: string; name: string; facts: Fact[] }[] = [
    {
      why: 'image pull: the failing container, its image and the classified registry error (tag-not-found, not auth)',
      file: 'checkout-bad-rollout.json',
      name: 'checkout',
      facts: [{ kind: 'ImagePull', container: 'api', init: false, image: 'registry.example.com/shop/checkout:1.27', cause: 'tag-not-found' }],
    },
    {
      why: 'crash loop in an init container: the container is marked init (a playbook prefers app containers)',
      file: 'ledger-init-crashloop.json',
      name: 'ledger',
      facts: [{ kind: 'CrashLoop', container: 'schema-migrate', init: true, restartCount: 8, exitCode: 1, terminationReason: 'Error' }],
    },
    {
      why: 'OOM kill: the limit as written and in bytes, which resizing needs; the crash loop it causes follows as a fact of the other kind seen',
      file: 'reports-oomkilled.json',
      name: 'reports',
      facts: [
        {
          kind: 'OOMKilled',
          container: 'renderer',
          init: false,
          restartCount: 12,
          memoryLimit: '256Mi',
          memoryLimitBytes: 268435456,
          memoryRequest: '256Mi',
          memoryRequestBytes: 268435456,
        },
        { kind: 'CrashLoop', container: 'renderer', init: false, restartCount: 12, exitCode: 137, terminationReason: 'OOMKilled' },
      ],
    },
    {
      why: 'missing reference: which Secret, by name',
      file: 'orders-config-error.json',
      name: 'orders',
      facts: [{ kind: 'MissingConfig', container: 'api', missing: 'secret', object: { kind: 'Secret', name: 'orders-db' } }],
    },
    {
      why: 'unschedulable: the requests against the largest node (48Gi asked, 14.2Gi allocatable: larger than any node)',
      file: 'batch-unschedulable.json',
      name: 'ml-trainer',
      facts: [
        {
          kind: 'Unschedulable',
          constraint: 'insufficient-memory',
          requests: { cpu: 8, memoryBytes: 51539607552 },
          largestNode: { cpu: 3.92, memoryBytes: 15259869184 },
          schedulableNodes: 3,
          fitsEmptyNode: false,
          autoscalerTriggered: false,
          pendingSeconds: 600,
        },
      ],
    },
    {
      why: 'failed rollout: the revision and the replica counts of the stalled rollout',
      file: 'edge-rollouts.json',
      name: 'gateway',
      facts: [{ kind: 'FailedRollout', revision: 5, progressDeadlineExceeded: true, deadlineSeconds: 600, desired: 3, updated: 1, available: 3, unavailable: 1 }],
    },
    {
      why: 'scaled to zero: the HPA minimum the fix scales back to',
      file: 'scaled-to-zero.json',
      name: 'storefront',
      facts: [{ kind: 'ScaledToZero', hpa: 'storefront', minReplicas: 3, maxReplicas: 6, scalingDisabled: true }],
    },
    {
      why: 'liveness probe: which probe, what the kubelet saw (a timeout) and the configured timings',
      file: 'probe-failures.json',
      name: 'profile',
      facts: [
        {
          kind: 'Probe',
          probe: 'liveness',
          container: 'api',
          failure: 'timeout',
          settings: { initialDelaySeconds: 10, timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3, successThreshold: 1, handler: 'httpGet' },
          restartCount: 4,
        },
      ],
    },
    {
      why: 'HPA at max: replicas, the ceiling and the metric above its target, which sizing needs',
      file: 'hpa-at-max.json',
      name: 'frontend',
      facts: [
        {
          kind: 'HpaAtMax',
          hpa: 'frontend',
          currentReplicas: 10,
          maxReplicas: 10,
          minReplicas: 3,
          desiredReplicas: 10,
          metricsAboveTarget: [{ name: 'cpu', current: 92, target: 70, unit: '%' }],
          atMaxSeconds: 1200,
        },
      ],
    },
    {
      why: 'eviction: the classified cause and the node',
      file: 'evictions.json',
      name: 'transcoder',
      facts: [{ kind: 'Evicted', cause: 'node-memory-pressure', node: 'ip-10-0-3-23.eu-west-1.compute.internal' }],
    },
    {
      why: 'failed pod: the phase and the container that exited non-zero',
      file: 'failed-pods.json',
      name: 'nightly-export-28871234-q9w4r',
      facts: [{ kind: 'PodFailed', phase: 'Failed', container: 'export', exitCode: 2 }],
    },
  ];

  it.each(cases)('$why', ({ file, name, facts }) => {
    expect(incidentOf(file, name).facts).toEqual(facts);
  });

  // Which fact kind each failure kind's playbook reads.
  const FACT_OF_KIND: Record<FailureKind, Fact['kind'][]> = {
    ImagePullBackOff: ['ImagePull'],
    CrashLoopBackOff: ['CrashLoop'],
    OOMKilled: ['OOMKilled'],
    CreateContainerConfigError: ['MissingConfig'],
    Unschedulable: ['Unschedulable'],
    FailedRollout: ['FailedRollout', 'ScaledToZero'],
    ProbeFailure: ['Probe'],
    Evicted: ['Evicted'],
    HpaAtMax: ['HpaAtMax'],
    PodFailed: ['PodFailed'],
  };

  it('every incident of every fixture carries valid facts, its own kind\'s first, within bounds', () => {
    const files = readdirSync(new URL('../fixtures/k8s/', import.meta.url)).filter((f) => f.endsWith('.json'));
    let seen = 0;
    for (const file of files) {
      for (const incident of detect(snapshotFromFiles(file)).incidents) {
        seen++;
        const facts = incident.facts ?? [];
        expect(facts.length, `${file} ${incident.signature}`).toBeGreaterThan(0);
        expect(facts.length).toBeLessThanOrEqual(MAX_FACTS);
        expect(FACT_OF_KIND[incident.kind]).toContain(facts[0]?.kind);
        for (const f of facts) expect(FactSchema.safeParse(f).success).toBe(true);
      }
    }
    expect(seen).toBeGreaterThanOrEqual(14);
  });
});

describe('facts at the workflow boundary', () => {
  const incident = incidentOf('hpa-at-max.json', 'frontend');
  const state = (facts: unknown) => ({
    executionId: 'exec-1',
    incident: { ...incident, facts },
    mode: 'dry-run',
    maxTrials: 3,
    startedAt: '2026-11-23T14:00:00.000Z',
  });

  it('a state with the detector\'s facts parses unchanged', () => {
    expect(parseState(state(incident.facts), 'Analyse').incident.facts).toEqual(incident.facts);
  });

  // Why each: a Lambda's input is untrusted; a malformed fact must fail naming the field, not reach a playbook.
  it.each([
    { why: 'an unknown fact kind', facts: [{ kind: 'Mystery' }], field: 'incident.facts.0.kind' },
    { why: 'a negative replica count', facts: [{ ...incident.facts![0]!, maxReplicas: -1 }], field: 'incident.facts.0.maxReplicas' },
    { why: 'more facts than the bound', facts: Array.from({ length: MAX_FACTS + 1 }, () => incident.facts![0]), field: 'incident.facts' },
    {
      why: 'an unbounded string (state size)',
      facts: [{ kind: 'Evicted', cause: 'x'.repeat(10_000) }],
      field: 'incident.facts.0.cause',
    },
  ])('refuses $why, naming the field', ({ facts, field }) => {
    expect(() => parseState(state(facts), 'Analyse')).toThrow(expect.objectContaining({ name: 'ValidationError', message: expect.stringContaining(`${field}:`) }));
  });

  it('the largest facts an incident can carry stay small beside the 256 KiB state limit', () => {
    // Why: facts travel in every state of the execution; their worst case is bounded by the schemas.
    const s = (n: number) => 'x'.repeat(n);
    const worst = {
      kind: 'HpaAtMax',
      hpa: s(253),
      currentReplicas: 1_000_000,
      maxReplicas: 1_000_000,
      minReplicas: 1_000_000,
      desiredReplicas: 1_000_000,
      metricsAboveTarget: Array.from({ length: 5 }, () => ({ name: s(253), current: 1e18, target: 1e18, unit: '%' })),
      atMaxSeconds: 1_000_000,
    };
    const facts = Array.from({ length: MAX_FACTS }, () => worst);
    expect(parseState(state(facts), 'Analyse').incident.facts).toHaveLength(MAX_FACTS);
    expect(Buffer.byteLength(JSON.stringify(facts))).toBeLessThan(24 * 1024);
  });
});
