import { describe, expect, it } from 'vitest';
import { FAULTS } from './faults';
import { recordingClient } from './faults/record-calls';
import { parseScenarioText, ScenarioFileError } from './scenario/load';

/**
 * Per-instance ground truth: a file with `causes` draws one hidden cause per
 * seed (priors conditioned on what was drawn before it, times the caller's
 * override), and the instance carries that cause's ground truth, steps,
 * image behaviour and oracle. Files without causes keep working unchanged:
 * their instances carry the file's ground truth under the file's name.
 */

const FAMILY = `
apiVersion: eks-reflexion.io/scenario/v1
name: two-causes
description: one symptom, two hidden causes
family: crashloop
authors: [test]
identity: { teams: [ledger, shop, core, edge] }
parameters:
  - { name: v1, value: "{{repo}}:{{tag}}" }
  - { name: v2, value: "{{repo}}:{{nextTag}}" }
target: { namespace: "{{namespace}}", name: "{{app}}" }
images:
  - image: "{{v1}}"
    app: &app { endpoints: [{ path: /healthz, port: 8080 }], memory: { baseMi: 96 } }
  - image: "{{v2}}"
    app: *app
workloads:
  namespaces: [{ name: "{{namespace}}", labels: { team: "{{team}}" } }]
  deployments:
    - { namespace: "{{namespace}}", name: "{{app}}", replicas: 2, containers: [{ name: "{{app}}", image: "{{v1}}", resources: { limits: { memory: 256Mi } } }] }
timeline:
  steps:
    - setContainer: { namespace: "{{namespace}}", deployment: "{{app}}", container: { name: "{{app}}", image: "{{v2}}" } }
causes:
  - name: release-regression
    weight: 3
    priors: [{ when: "team == 'ledger'", weight: 1 }]
    parameters: [{ name: exitCode, int: [2, 3] }]
    images:
      - image: "{{v2}}"
        app: { exit: [{ when: { always: true }, exitCode: "{{exitCode}}", log: "boom" }] }
    groundTruth:
      symptom: { kind: CrashLoopBackOff, subReason: new-revision }
      rootCause: the new release is broken
      fixable: true
      acceptableRemedies: [rollback_deployment]
      manualFix: [{ rollback: { namespace: "{{namespace}}", deployment: "{{app}}" } }]
  - name: upstream-outage
    weight: 1
    priors: [{ when: "team == 'ledger'", weight: 4 }]
    steps:
      - scale: { namespace: "{{namespace}}", deployment: "{{app}}", replicas: 5 }
    groundTruth:
      symptom: { kind: CrashLoopBackOff, subReason: new-revision }
      rootCause: a dependency is down
      fixable: false
      acceptableRemedies: [escalate]
      maskingRemedies: [rollback_deployment]
    oracle:
      healthy: [{ namespace: "{{namespace}}", deployment: "{{app}}", where: ["deployment.spec.replicas == 5"] }]
shift:
  causeWeights: { upstream-outage: 6 }
oracle:
  healthy: [{ namespace: "{{namespace}}", deployment: "{{app}}" }]
`;

const family = parseScenarioText(FAMILY, '/x/two-causes.yaml');

function shares(options: Parameters<typeof family.instantiate>[1] = {}, n = 2000) {
  const count = { ledger: { total: 0, outage: 0 }, other: { total: 0, outage: 0 } };
  for (let seed = 0; seed < n; seed++) {
    const inst = family.instantiate(seed, options);
    const c = inst.namespace.startsWith('ledger-') ? count.ledger : count.other;
    c.total += 1;
    if (inst.groundTruth.cause === 'upstream-outage') c.outage += 1;
  }
  return { ledger: count.ledger.outage / count.ledger.total, other: count.other.outage / count.other.total, n: count };
}

function refused(text: string): ScenarioFileError {
  try {
    parseScenarioText(text, '/x/bad.yaml');
  } catch (e) {
    if (e instanceof ScenarioFileError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('scenario causes', () => {
  it('draws the cause by its priors, conditioned on the team drawn before it', () => {
    // ledger: 4 : 1 for the outage (0.8); the other teams: 1 : 3 (0.25). 2 000 seeds: ±0.05 is > 4 standard errors.
    const s = shares();
    expect(s.n.ledger.total).toBeGreaterThan(300);
    expect(Math.abs(s.ledger - 0.8)).toBeLessThan(0.05);
    expect(Math.abs(s.other - 0.25)).toBeLessThan(0.05);
  });

  it('causeWeights multiplies the priors (the file’s shift: outage ×6 → ledger 24:1, others 6:3)', () => {
    const s = shares({ causeWeights: family.shift!.causeWeights });
    expect(Math.abs(s.ledger - 24 / 25)).toBeLessThan(0.03);
    expect(Math.abs(s.other - 6 / 9)).toBeLessThan(0.05);
    // A factor of 0 removes a cause.
    expect(shares({ causeWeights: { 'release-regression': 0 } }, 200).other).toBe(1);
  });

  it('an override changes the cause of an instance and nothing drawn before it', () => {
    for (let seed = 0; seed < 50; seed++) {
      const a = family.instantiate(seed, { cause: 'release-regression' });
      const b = family.instantiate(seed, { cause: 'upstream-outage' });
      expect(b.namespace).toBe(a.namespace);
      expect(b.workload).toEqual(a.workload);
      expect([a.groundTruth.cause, b.groundTruth.cause]).toEqual(['release-regression', 'upstream-outage']);
    }
  });

  it('the instance carries the drawn cause’s ground truth, steps, image behaviour and oracle', async () => {
    const regression = family.instantiate(3, { cause: 'release-regression' });
    expect(regression.groundTruth).toEqual({
      cause: 'release-regression',
      symptom: { kind: 'CrashLoopBackOff', subReason: 'new-revision' },
      rootCause: 'the new release is broken',
      fixable: true,
      acceptableRemedies: ['rollback_deployment'],
      maskingRemedies: [],
    });
    // The cause's image override merged into the file's model of the same image: endpoints kept, exit rule added.
    const v2 = regression.images.find((i) => i.image.endsWith(':' + regression.images[1]!.image.split(':').pop()))!;
    expect(v2.behaviour?.endpoints).toHaveLength(1);
    expect(v2.behaviour?.exitRules?.[0]?.exitCode).toBeOneOf([2, 3]);
    expect(regression.images[0]!.behaviour?.exitRules).toBeUndefined();
    const outage = family.instantiate(3, { cause: 'upstream-outage' });
    expect(outage.groundTruth).toMatchObject({ cause: 'upstream-outage', fixable: false, acceptableRemedies: ['escalate'], maskingRemedies: ['rollback_deployment'] });
    expect(outage.images[1]!.behaviour?.exitRules).toBeUndefined();
    // Steps: the file's, then the cause's.
    const { client, calls } = recordingClient(() => []);
    await outage.inject(client);
    expect(calls.map((c) => c.path.split('/').at(-1))).toEqual([outage.workload.name, 'scale']);
    const rec = recordingClient(() => []);
    await regression.inject(rec.client);
    expect(rec.calls).toHaveLength(1);
  });

  it('the scenario lists its causes and its shift; its expectation is the family’s symptom', () => {
    expect(family.family).toBe('crashloop');
    expect(family.causes?.map((c) => c.name)).toEqual(['release-regression', 'upstream-outage']);
    expect(family.expected).toMatchObject({ kind: 'CrashLoopBackOff', subReason: 'new-revision', fixable: true });
    expect(family.groundTruth).toBeUndefined();
  });

  it('a file without causes keeps its ground truth, under its own name, and refuses any other cause', () => {
    const inst = FAULTS['bad-image-tag']!.instantiate(7);
    expect(inst.groundTruth).toMatchObject({ cause: 'bad-image-tag', fixable: true, acceptableRemedies: ['rollback_deployment', 'patch_image'] });
    expect(FAULTS['bad-image-tag']!.instantiate(7, { causeWeights: { 'bad-image-tag': 2 } }).namespace).toBe(inst.namespace);
    expect(() => FAULTS['bad-image-tag']!.instantiate(7, { cause: 'leak' })).toThrow(/cause 'leak' is not one of bad-image-tag's/);
  });

  it('refuses an override naming no cause, or a negative factor', () => {
    expect(() => family.instantiate(1, { causeWeights: { leak: 2 } })).toThrow(/causeWeights names 'leak', which is not a cause \(causes: release-regression, upstream-outage\)/);
    expect(() => family.instantiate(1, { causeWeights: { 'upstream-outage': -1 } })).toThrow(/must be a finite number ≥ 0/);
    expect(() => family.instantiate(1, { causeWeights: { 'upstream-outage': 0, 'release-regression': 0 } })).toThrow(/no cause of two-causes has a positive weight/);
  });

  // Each case: a mistake an author of a family makes, and what the refusal names.
  it.each([
    { why: 'file-level ground truth beside causes', edit: (t: string) => t.replace('shift:', 'groundTruth: { symptom: null, rootCause: x, fixable: false, acceptableRemedies: [] }\nshift:'), path: 'groundTruth', message: /each cause has its own groundTruth/ },
    { why: 'a cause declared twice', edit: (t: string) => t.replace('name: upstream-outage', 'name: release-regression'), path: 'causes[1].name', message: /declared twice/ },
    { why: 'a shift naming no cause', edit: (t: string) => t.replace('{ upstream-outage: 6 }', '{ outage: 6 }'), path: 'shift.causeWeights.outage', message: /not a cause/ },
    { why: 'a parameter named cause in a family', edit: (t: string) => t.replace('{ name: v2,', '{ name: cause, value: x }\n  - { name: v2,'), path: 'parameters[1].name', message: /names the drawn cause/ },
    { why: 'no oracle for a cause', edit: (t: string) => t.replace(/\noracle:\n.*\n$/, '\n'), path: 'causes[0].oracle', message: /required: the file has no oracle/ },
    { why: 'a prior reading a cause parameter (drawn after the cause)', edit: (t: string) => t.replace(`when: "team == 'ledger'", weight: 1`, 'when: "exitCode == 2", weight: 1'), path: 'causes[0].priors[0].when', message: /'exitCode', which is not a parameter/ },
    { why: 'a template that fails only for one cause', edit: (t: string) => t.replace('exitCode: "{{exitCode}}"', 'exitCode: "{{app}}"'), path: '', message: /instantiating seed 1 with cause release-regression: .*exit\[0\]\.exitCode must be a number/ },
    { why: 'only one cause', edit: (t: string) => t.replace(/ {2}- name: upstream-outage[\s\S]*?(?=shift:)/, '').replace('shift:\n  causeWeights: { upstream-outage: 6 }\n', ''), path: 'causes', message: /too small|>=2/i },
  ])('refuses $why', ({ edit, path, message }) => {
    const e = refused(edit(FAMILY));
    expect(e.problems.find((p) => p.path === path && message.test(p.message)), JSON.stringify(e.problems)).toBeDefined();
  });
});
