import { beforeAll, describe, expect, it } from 'vitest';
import { RETRYABLE_ERROR_NAMES } from '../../functions/domain/errors';
import { localStateMachineDefinition, localFunctionArn, type LocalStateMachineDefinition } from '../../lib/local-definition';

type State = Record<string, unknown> & { Type: string };
type Definition = { StartAt: string; States: Record<string, State>; TimeoutSeconds?: number };

let local: LocalStateMachineDefinition;
let def: Definition;
beforeAll(() => {
  local = localStateMachineDefinition({ policy: { verify: { intervalSeconds: 20, timeoutSeconds: 300 } } });
  def = local.definition as unknown as Definition;
}, 120_000);

const RELEASES = ['ReleaseLockResolved', 'ReleaseLockEscalated', 'ReleaseLockDone'];
const TASK_RETRY = [...RETRYABLE_ERROR_NAMES, 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/** Every state an execution can move to from `state`, on success or on error. */
function successors(state: State): string[] {
  const out: string[] = [];
  if (typeof state['Next'] === 'string') out.push(state['Next']);
  for (const c of (state['Choices'] ?? []) as { Next: string }[]) out.push(c.Next);
  if (typeof state['Default'] === 'string') out.push(state['Default']);
  for (const c of (state['Catch'] ?? []) as { Next: string }[]) out.push(c.Next);
  return out;
}
const isTerminal = (s: State) => s.Type === 'Succeed' || s.Type === 'Fail' || s['End'] === true;
const choiceVariables = (rule: Record<string, unknown>): { variable: string; guarded: boolean }[] => {
  if (Array.isArray(rule['And'])) {
    const parts = rule['And'] as Record<string, unknown>[];
    const present = new Set(parts.filter((p) => p['IsPresent'] === true).map((p) => String(p['Variable'])));
    return parts.flatMap(choiceVariables).map((v) => ({ ...v, guarded: v.guarded || present.has(v.variable) }));
  }
  if (Array.isArray(rule['Or'])) return (rule['Or'] as Record<string, unknown>[]).flatMap(choiceVariables);
  if (rule['Not']) return choiceVariables(rule['Not'] as Record<string, unknown>);
  return [{ variable: String(rule['Variable']), guarded: rule['IsPresent'] !== undefined }];
};

/**
 * Lock-safety violations of a definition: states reachable while the lock is
 * held (after LockAcquired? chose Analyse, before any ReleaseLock*) that can
 * end the execution, that can fail without a catch-all, that are a Choice
 * without a default or comparing a path it did not check for, or from which
 * no release is reachable at all.
 */
function lockViolations(d: Definition): string[] {
  const problems: string[] = [];
  const held = new Set<string>();
  const stack = ['Analyse'];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (held.has(name) || RELEASES.includes(name)) continue;
    const state = d.States[name];
    if (!state) {
      problems.push(`${name}: missing state`);
      continue;
    }
    held.add(name);
    stack.push(...successors(state));
  }
  for (const name of held) {
    const state = d.States[name]!;
    if (isTerminal(state)) problems.push(`${name}: ends the execution with the lock held`);
    if (state.Type === 'Task') {
      const catchAll = ((state['Catch'] ?? []) as { ErrorEquals: string[] }[]).some((c) => c.ErrorEquals.includes('States.ALL'));
      if (!catchAll) problems.push(`${name}: an error escapes without States.ALL catch`);
    }
    if (state.Type === 'Choice') {
      if (typeof state['Default'] !== 'string') problems.push(`${name}: Choice without Default`);
      for (const rule of state['Choices'] as Record<string, unknown>[]) {
        for (const v of choiceVariables(rule)) if (!v.guarded) problems.push(`${name}: compares ${v.variable} without IsPresent`);
      }
    }
    // Some release must stay reachable (no trap cycle).
    const seen = new Set<string>();
    const walk = [name];
    let releases = false;
    while (walk.length > 0 && !releases) {
      const n = walk.pop()!;
      if (RELEASES.includes(n)) releases = true;
      else if (!seen.has(n) && d.States[n]) {
        seen.add(n);
        walk.push(...successors(d.States[n]!));
      }
    }
    if (!releases) problems.push(`${name}: no ReleaseLock* reachable`);
  }
  return problems;
}

describe('the synthesized incident state machine (via localStateMachineDefinition)', () => {
  it('has exactly the contract state names', () => {
    expect(Object.keys(def.States).sort()).toEqual(
      [
        'AcquireLock', 'LockAcquired?', 'AlreadyInProgress', 'LockFailed',
        'Analyse', 'SelectStrategy', 'RouteAction', 'Restart', 'Rollback', 'Scale', 'Patch', 'Applied?', 'RequestApproval',
        'WaitForConvergence', 'Verify', 'Converged?', 'Reflect', 'NextStep?',
        'ReleaseLockResolved', 'PublishResolved', 'Resolved',
        'ReleaseLockEscalated', 'PublishEscalated', 'Escalated',
        'ReleaseLockDone', 'Done',
      ].sort(),
    );
    expect(def.StartAt).toBe('AcquireLock');
  });

  it('maps every Task state to the function role it invokes', () => {
    expect(local.roleOfTask).toEqual({
      AcquireLock: 'lock',
      Analyse: 'analyse',
      SelectStrategy: 'select-strategy',
      Restart: 'remediate',
      Rollback: 'remediate',
      Scale: 'remediate',
      Patch: 'remediate',
      Verify: 'verify',
      Reflect: 'reflect',
      RequestApproval: 'approval',
      ReleaseLockResolved: 'lock',
      ReleaseLockEscalated: 'lock',
      ReleaseLockDone: 'lock',
      PublishResolved: 'events:putEvents',
      PublishEscalated: 'events:putEvents',
    });
    expect(def.States['Analyse']!['Resource']).toBe(localFunctionArn('analyse'));
  });

  it('contains no unresolved CloudFormation token', () => {
    expect(JSON.stringify(def)).not.toMatch(/Fn::|"Ref"|\$\{Token/);
  });

  // Step tasks carry the whole document in and out (no ResultPath = the default "$"); lock tasks wrap it with their op.
  it.each([
    ['Analyse', undefined, undefined],
    ['SelectStrategy', undefined, undefined],
    ['Restart', undefined, undefined],
    ['Verify', undefined, undefined],
    ['Reflect', undefined, undefined],
    ['AcquireLock', { op: 'acquire', 'state.$': '$' }, undefined],
    ['ReleaseLockResolved', { op: 'release', 'state.$': '$' }, '$.lockRelease'],
    ['ReleaseLockEscalated', { op: 'release', 'state.$': '$' }, '$.lockRelease'],
    ['ReleaseLockDone', { op: 'release', 'state.$': '$' }, '$.lockRelease'],
  ])('%s: Parameters %j, ResultPath %s', (name, parameters, resultPath) => {
    const state = def.States[name]!;
    expect(state['Parameters']).toEqual(parameters);
    expect(state['ResultPath']).toBe(resultPath);
    expect(state['InputPath']).toBeUndefined();
  });

  // The story's wiring, one row per edge the brief names.
  it.each([
    ['AcquireLock', 'Next', 'LockAcquired?'],
    ['LockAcquired?', 'Default', 'AlreadyInProgress'],
    ['Analyse', 'Next', 'SelectStrategy'],
    ['SelectStrategy', 'Next', 'RouteAction'],
    ['RouteAction', 'Default', 'Reflect'],
    ['Restart', 'Next', 'Applied?'],
    ['Rollback', 'Next', 'Applied?'],
    ['Scale', 'Next', 'Applied?'],
    ['Patch', 'Next', 'Applied?'],
    ['Applied?', 'Default', 'Reflect'],
    ['WaitForConvergence', 'Next', 'Verify'],
    ['Verify', 'Next', 'Converged?'],
    ['Converged?', 'Default', 'Reflect'],
    ['Reflect', 'Next', 'NextStep?'],
    ['NextStep?', 'Default', 'ReleaseLockDone'],
    ['ReleaseLockResolved', 'Next', 'PublishResolved'],
    ['PublishResolved', 'Next', 'Resolved'],
    ['ReleaseLockEscalated', 'Next', 'PublishEscalated'],
    ['PublishEscalated', 'Next', 'Escalated'],
    ['ReleaseLockDone', 'Next', 'Done'],
    // Approved: back through RouteAction to the same remediation task, which writes only the approved digest.
    ['RequestApproval', 'Next', 'RouteAction'],
  ])('%s -%s-> %s', (from, field, to) => {
    expect(def.States[from]![field]).toBe(to);
  });

  it('RequestApproval waits on a task token, with the approval timeout, and never carries the token anywhere but the payload', () => {
    const state = def.States['RequestApproval']!;
    expect(state['Resource']).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(state['TimeoutSeconds']).toBe(3600);
    expect(state['HeartbeatSeconds']).toBeUndefined();
    expect(state['Parameters']).toEqual({ FunctionName: localFunctionArn('approval'), Payload: { 'taskToken.$': '$$.Task.Token', 'state.$': '$' } });
    expect(state['ResultPath']).toBe('$.approval.grant');
    // Stale → re-plan through RouteAction; everything else (denied, timed out) → Reflect, which escalates.
    expect(state['Catch']).toEqual([
      { ErrorEquals: ['ApprovalStale'], ResultPath: '$.approval.stale', Next: 'RouteAction' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Reflect' },
    ]);
  });

  const choiceTargets = (name: string) =>
    Object.fromEntries(
      (def.States[name]!['Choices'] as Record<string, unknown>[]).flatMap((rule) => {
        const values = JSON.stringify(rule).match(/"(StringEquals|BooleanEquals)":("[^"]*"|true|false)/g) ?? [];
        return values.map((v) => [JSON.parse(v.split(/":/)[1]!) as string, rule['Next'] as string]);
      }),
    );

  it('routes each catalogue action to its remediation state', () => {
    expect(choiceTargets('RouteAction')).toEqual({
      restart_pod: 'Restart',
      rollout_restart: 'Restart',
      rollback_deployment: 'Rollback',
      scale_deployment: 'Scale',
      patch_hpa: 'Scale',
      patch_resources: 'Patch',
      patch_image: 'Patch',
      patch_probe: 'Patch',
    });
  });

  it.each([
    ['LockAcquired?', { true: 'Analyse' }],
    // Remediate asked for an operator's approval (and has no grant yet): wait for it before anything else.
    ['Applied?', { requested: 'RequestApproval', true: 'WaitForConvergence' }],
    ['Converged?', { converging: 'WaitForConvergence' }],
    ['NextStep?', { resolved: 'ReleaseLockResolved', retry: 'SelectStrategy', escalate: 'ReleaseLockEscalated' }],
  ])('%s chooses %j', (name, targets) => {
    expect(choiceTargets(name)).toEqual(targets);
  });

  it('waits the configured verify interval with plain Seconds', () => {
    expect(def.States['WaitForConvergence']).toEqual({ Type: 'Wait', Seconds: 20, Next: 'Verify' });
  });

  it('every Lambda task retries exactly the retryable errors and Lambda service errors, 2 s, x2, 3 attempts', () => {
    for (const [name, role] of Object.entries(local.roleOfTask)) {
      if (role === 'events:putEvents') continue;
      const [first, ...rest] = def.States[name]!['Retry'] as Record<string, unknown>[];
      expect(first, name).toEqual({ ErrorEquals: TASK_RETRY, IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 });
      // Only lock releases retry anything else (they must not give up early).
      expect(rest, name).toEqual(RELEASES.includes(name) ? [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 }] : []);
    }
  });

  it.each([
    ['Analyse', [['ValidationError', 'ReleaseLockEscalated'], ['States.ALL', 'Reflect']]],
    ['SelectStrategy', [['ValidationError', 'ReleaseLockEscalated'], ['States.ALL', 'Reflect']]],
    ['Restart', [['ValidationError', 'ReleaseLockEscalated'], ['States.ALL', 'Reflect']]],
    ['Rollback', [['ValidationError', 'ReleaseLockEscalated'], ['States.ALL', 'Reflect']]],
    ['Scale', [['ValidationError', 'ReleaseLockEscalated'], ['States.ALL', 'Reflect']]],
    ['Patch', [['ValidationError', 'ReleaseLockEscalated'], ['States.ALL', 'Reflect']]],
    ['Verify', [['ValidationError', 'ReleaseLockEscalated'], ['States.ALL', 'Reflect']]],
    ['Reflect', [['States.ALL', 'ReleaseLockEscalated']]],
    ['AcquireLock', [['States.ALL', 'LockFailed']]],
    ['ReleaseLockResolved', [['States.ALL', 'PublishResolved']]],
    ['ReleaseLockEscalated', [['States.ALL', 'PublishEscalated']]],
    ['ReleaseLockDone', [['States.ALL', 'Done']]],
    ['PublishResolved', [['States.ALL', 'Resolved']]],
    ['PublishEscalated', [['States.ALL', 'Escalated']]],
  ])('%s catches %j', (name, catches) => {
    const actual = (def.States[name]!['Catch'] as { ErrorEquals: string[]; Next: string; ResultPath: string }[]).map((c) => [c.ErrorEquals.join('|'), c.Next]);
    expect(actual).toEqual(catches);
    // A catch keeps the document (only steps' catches land in $.error, which the handlers read).
    for (const c of def.States[name]!['Catch'] as { ResultPath: string }[]) expect(c.ResultPath).toMatch(/^\$\.\w+$/);
  });

  it('publishes resolved and escalated events with the incident and outcome', () => {
    const entry = (name: string) => ((def.States[name]!['Parameters'] as { Entries: Record<string, unknown>[] }).Entries[0]!);
    expect(entry('PublishResolved')).toMatchObject({
      DetailType: 'RemediationResolved',
      Source: 'eks-reflexion',
      Detail: { schemaVersion: 'v1', 'fingerprint.$': '$.incident.fingerprint', 'signature.$': '$.incident.signature', 'target.$': '$.incident.target', 'trial.$': '$.trial', outcome: 'resolved' },
    });
    expect(entry('PublishEscalated')).toMatchObject({ DetailType: 'RemediationEscalated', Detail: { outcome: 'escalated' } });
    expect(def.States['Escalated']).toEqual({ Type: 'Fail', Error: 'Escalated', Cause: 'remediation escalated to an operator' });
  });

  it('has a state-machine-level timeout of at least two hours', () => {
    expect(def.TimeoutSeconds).toBeGreaterThanOrEqual(7200);
  });

  it('no path ends with the lock held: every state after acquisition reaches a ReleaseLock* before any end', () => {
    expect(lockViolations(def)).toEqual([]);
    // Each end is entered only from its release (or publish) state; the two that are not never held the lock.
    const predecessors = (target: string) => Object.entries(def.States).filter(([, st]) => successors(st).includes(target)).map(([n]) => n);
    expect(predecessors('Resolved')).toEqual(['PublishResolved']);
    expect(predecessors('PublishResolved')).toEqual(['ReleaseLockResolved']);
    expect(predecessors('Escalated')).toEqual(['PublishEscalated']);
    expect(predecessors('PublishEscalated')).toEqual(['ReleaseLockEscalated']);
    expect(predecessors('Done')).toEqual(['ReleaseLockDone']);
    expect(predecessors('AlreadyInProgress')).toEqual(['LockAcquired?']);
    expect(predecessors('LockFailed')).toEqual(['AcquireLock']);
  });

  // The checker itself must catch each kind of mistake, or the proof above proves nothing.
  it.each([
    ['a task without catch-all', (d: Definition) => void ((d.States['Verify']!['Catch'] as unknown[]).splice(1, 1)), 'Verify: an error escapes'],
    ['a choice straight to a terminal', (d: Definition) => void (d.States['NextStep?']!['Default'] = 'Done'), 'Done: ends the execution with the lock held'],
    ['an unguarded choice', (d: Definition) => void (d.States['Applied?']!['Choices'] = [{ Variable: '$.remediation.applied', BooleanEquals: true, Next: 'WaitForConvergence' }]), 'Applied?: compares $.remediation.applied without IsPresent'],
    [
      'a trap cycle',
      (d: Definition) => {
        Object.assign(d.States['Converged?']!, { Default: 'WaitForConvergence', Choices: [] });
        for (const c of d.States['Verify']!['Catch'] as { Next: string }[]) c.Next = 'WaitForConvergence';
      },
      'Verify: no ReleaseLock* reachable',
    ],
  ])('the lock checker reports %s', (_why, mutate, problem) => {
    const broken = structuredClone(def);
    mutate(broken);
    expect(lockViolations(broken).join('\n')).toContain(problem);
  });
});
