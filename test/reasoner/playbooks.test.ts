import { describe, expect, it } from 'vitest';
import { ActionRequestSchema } from '../../functions/domain/actions';
import { DeterministicReasoner } from '../../functions/domain/deterministic-reasoner';
import type { Fact } from '../../functions/domain/facts';
import { FAILURE_KINDS } from '../../functions/domain/incident';
import { PLAYBOOKS } from '../../functions/domain/playbooks/index';
import { incident } from './fixtures';

const reasoner = new DeterministicReasoner();
async function proposeFor(inc: ReturnType<typeof incident>) {
  const analysis = await reasoner.analyse({ incident: inc, lessons: [] });
  return reasoner.propose({ incident: inc, analysis, lessons: [], candidates: [], previousReflections: [] });
}

describe('playbook registry', () => {
  it('has exactly one playbook per failure kind, registered under its own kind', () => {
    // Why: a kind added to FAILURE_KINDS must get a playbook (the Record makes it a compile error; this guards the kind field).
    expect(Object.keys(PLAYBOOKS).sort()).toEqual([...FAILURE_KINDS].sort());
    for (const [kind, playbook] of Object.entries(PLAYBOOKS)) expect(playbook.kind).toBe(kind);
  });

  it.each(FAILURE_KINDS)('%s without any fact still yields a catalogue action (a human when nothing else is known)', async (kind) => {
    // Why: an incident whose detector could not state its facts (bounds, odd data) must not leave the reasoner without an answer.
    const proposal = await proposeFor(incident({ kind, subReason: 'unknown', facts: [] }));
    expect(ActionRequestSchema.safeParse(proposal?.action).success).toBe(true);
  });
});

describe('playbooks read the detector\'s classification, not words in the cluster\'s text', () => {
  // Each case failed before the playbooks: the old reasoner matched words anywhere in the incident's text
  // (messages, events, notes), in a fixed order, and contradicted the detector's own classification.
  const cases: { why: string; inc: ReturnType<typeof incident>; rationale: RegExp; not: RegExp }[] = [
    {
      why: '1 node with a taint and 2 with too little memory: the detector\'s constraint (most nodes) is capacity, not taints',
      inc: incident({
        kind: 'Unschedulable',
        subReason: 'insufficient-memory',
        message: '0/3 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 Insufficient memory.',
        facts: [{ kind: 'Unschedulable', constraint: 'insufficient-memory', requests: { cpu: 1, memoryBytes: 2 ** 34 }, schedulableNodes: 3, autoscalerTriggered: false }],
      }),
      rationale: /the cluster lacks capacity/,
      not: /taints/,
    },
    {
      why: 'a volume node affinity conflict is not a node selector mismatch (the word "affinity" misled the old text match)',
      inc: incident({
        kind: 'Unschedulable',
        subReason: 'volume',
        message: '0/3 nodes are available: 3 node(s) had volume node affinity conflict.',
        facts: [{ kind: 'Unschedulable', constraint: 'volume', requests: { cpu: 0.1, memoryBytes: 2 ** 27 }, schedulableNodes: 3, autoscalerTriggered: false }],
      }),
      rationale: /the scheduler cannot place the pod/,
      not: /node selector/,
    },
    {
      why: 'an invalid image reference whose message mentions "tag" is not a missing tag',
      inc: incident({
        kind: 'ImagePullBackOff',
        subReason: 'invalid-name',
        message: 'Failed to apply default image tag "registry.example.com/shop/Web:1.27": couldn\'t parse image reference',
        facts: [{ kind: 'ImagePull', container: 'web', init: false, image: 'registry.example.com/shop/Web:1.27', cause: 'invalid-name' }],
      }),
      rationale: /image reference registry\.example\.com\/shop\/Web:1\.27 is invalid/,
      not: /does not exist/,
    },
  ];

  it.each(cases)('$why', async ({ inc, rationale, not }) => {
    const proposal = await proposeFor(inc);
    expect(proposal?.rationale).toMatch(rationale);
    expect(proposal?.rationale).not.toMatch(not);
  });

  it('a missing key in a ConfigMap named app-secrets-config is a ConfigMap (the fact), not a Secret', async () => {
    // Why: the old match looked for "secret" then "configmap" anywhere; a ConfigMap named app-secrets-config read as a Secret.
    const facts: Fact[] = [{ kind: 'MissingConfig', container: 'web', missing: 'key', object: { kind: 'ConfigMap', name: 'app-secrets-config' }, key: 'url' }];
    const proposal = await proposeFor(
      incident({ kind: 'CreateContainerConfigError', subReason: 'missing-key', message: "couldn't find key url in ConfigMap shop/app-secrets-config", facts }),
    );
    expect(proposal?.rationale).toMatch(/a referenced ConfigMap is missing/);
  });
});
