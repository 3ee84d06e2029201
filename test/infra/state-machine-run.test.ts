import { StateMachine } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import { localStateMachineDefinition, type LocalStateMachineDefinition } from '../../lib/local-definition';

/**
 * Runs the synthesized definition in the local ASL interpreter with scripted
 * task handlers (no application code), so the Choice guards, Catch result
 * paths and retries are exercised as an interpreter executes them, not only
 * read off the JSON. The real handlers run through it in the e2e tests.
 */

let local: LocalStateMachineDefinition;
beforeAll(() => {
  local = localStateMachineDefinition();
}, 120_000);

type Doc = Record<string, unknown>;
type Script = Partial<Record<string, (input: Doc, call: number) => Doc | Promise<Doc>>>;

const named = (name: string, message = name) => Object.assign(new Error(message), { name });

/** Default behaviour of each role: the happy path of a rollback that converges on the first check. */
function defaults(): Script {
  return {
    AcquireLock: (i) => ({ ...(i['state'] as Doc), lock: { key: 'k', owner: 'o', acquired: true } }),
    Analyse: (i) => ({ ...i, analysis: { summary: 'bad tag' } }),
    SelectStrategy: (i) => ({ ...i, decision: { action: { action: 'rollback_deployment' } } }),
    Remediate: (i) => ({ ...i, remediation: { applied: true } }),
    Verify: (i) => ({ ...i, verification: { status: 'healthy' } }),
    Reflect: (i) => ({ ...i, next: 'resolved', outcome: 'resolved' }),
    Release: () => ({ released: true }),
    Publish: () => ({ Entries: [{ EventId: 'e' }], FailedEntryCount: 0 }),
  };
}

async function run(overrides: Script = {}) {
  const script = { ...defaults(), ...overrides };
  const calls: Record<string, number> = {};
  const handlerFor = (state: string) => {
    const role = local.roleOfTask[state]!;
    const key =
      role === 'remediate' ? 'Remediate' : state.startsWith('ReleaseLock') ? 'Release' : role === 'events:putEvents' ? 'Publish' : state;
    return async (input: Doc) => {
      calls[state] = (calls[state] ?? 0) + 1;
      return script[key]!(input, calls[state]!);
    };
  };
  const handlers = Object.fromEntries(Object.keys(local.roleOfTask).map((s) => [s, handlerFor(s)]));
  const machine = new StateMachine(local.definition as never, { validationOptions: { checkArn: false } });
  const retryOverrides = Object.fromEntries(Object.keys(local.roleOfTask).map((s) => [s, 0]));
  const execution = machine.run({ executionId: 'x', incident: { fingerprint: 'f', signature: 's', cluster: 'c', target: {} }, trial: 1 } as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: { WaitForConvergence: 0 }, retryIntervalOverrides: retryOverrides },
    context: { Execution: { Id: 'arn:aws:states:local:000000000000:execution:eks-reflexion:x', Name: 'x' } } as never,
  });
  const path: string[] = [];
  const collect = (async () => {
    for await (const e of execution.eventLogs) if (e.type === 'StateEntered') path.push(e.state.name);
  })();
  let status: 'SUCCEEDED' | 'FAILED' = 'SUCCEEDED';
  let output: Doc | undefined;
  let error: string | undefined;
  try {
    output = (await execution.result) as Doc;
  } catch (e) {
    status = 'FAILED';
    error = (e as Error).name;
  }
  await collect.catch(() => undefined);
  const released = Object.entries(calls).filter(([s]) => s.startsWith('ReleaseLock')).reduce((n, [, c]) => n + c, 0);
  return { path, status, output, error, calls, released };
}

describe('the synthesized definition, executed', () => {
  it('happy path: rollback, converge, resolve, release once, publish', async () => {
    const r = await run();
    expect(r.path).toEqual([
      'AcquireLock', 'LockAcquired?', 'Analyse', 'SelectStrategy', 'RouteAction', 'Rollback', 'Applied?',
      'WaitForConvergence', 'Verify', 'Converged?', 'Reflect', 'NextStep?', 'ReleaseLockResolved', 'PublishResolved', 'Resolved',
    ]);
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output).toMatchObject({ outcome: 'resolved', lockRelease: { released: true } });
    expect(r.output).not.toHaveProperty('lockReleaseError');
  });

  // Each row: how a run goes wrong, where it must end, and that the lock is released exactly when it was taken.
  it.each<[string, string, 'SUCCEEDED' | 'FAILED', number, Script]>([
    ['the lock is held elsewhere', 'AlreadyInProgress', 'SUCCEEDED', 0, { AcquireLock: (i) => ({ ...(i['state'] as Doc), lock: { key: 'k', owner: 'o', acquired: false } }) }],
    ['acquiring the lock fails', 'LockFailed', 'FAILED', 0, { AcquireLock: () => { throw named('MemoryError'); } }],
    ['analyse gets malformed input', 'Escalated', 'FAILED', 1, { Analyse: () => { throw named('ValidationError'); } }],
    ['verify is forbidden by the cluster', 'Escalated', 'FAILED', 1, { Verify: () => { throw named('KubeForbidden'); }, Reflect: (i) => ({ ...i, next: 'escalate' }) }],
    ['reflect itself throws', 'Escalated', 'FAILED', 1, { Reflect: () => { throw named('Error', 'boom'); } }],
    ['reflect returns no next step', 'Done', 'SUCCEEDED', 1, { Reflect: (i) => ({ ...i }) }],
    ['the decision has no action', 'Done', 'SUCCEEDED', 1, { SelectStrategy: (i) => ({ ...i }), Reflect: (i) => ({ ...i, next: 'done' }) }],
    ['the remediation was not applied', 'Escalated', 'FAILED', 1, { Remediate: (i) => ({ ...i, remediation: { applied: false } }), Reflect: (i) => ({ ...i, next: 'escalate' }) }],
    ['releasing the lock keeps failing', 'Resolved', 'SUCCEEDED', 4, { Release: () => { throw named('MemoryError'); } }],
    ['publishing the event fails', 'Resolved', 'SUCCEEDED', 1, { Publish: () => { throw named('EventBridge.Error'); } }],
  ])('%s → %s (%s), lock released %i time(s)', async (_why, end, status, releases, script) => {
    const r = await run(script);
    expect(r.path.at(-1)).toBe(end);
    expect(r.status).toBe(status);
    expect(r.released).toBe(releases);
  });

  it('a caught error lands in $.error for Reflect to read', async () => {
    let seen: unknown;
    await run({
      Verify: () => { throw named('KubeForbidden', 'verify: forbidden'); },
      Reflect: (i) => { seen = i['error']; return { ...i, next: 'escalate' }; },
    });
    expect(seen).toEqual({ Error: 'KubeForbidden', Cause: expect.stringContaining('forbidden') });
  });

  it('retries a retryable error, then carries on', async () => {
    const r = await run({ SelectStrategy: (i, call) => { if (call < 3) throw named('KubeThrottled'); return { ...i, decision: { action: { action: 'scale_deployment' } } }; } });
    expect(r.calls['SelectStrategy']).toBe(3);
    expect(r.path).toContain('Scale');
    expect(r.path.at(-1)).toBe('Resolved');
  });

  it('does not retry a non-retryable error', async () => {
    const r = await run({ Analyse: () => { throw named('KubeForbidden'); }, Reflect: (i) => ({ ...i, next: 'escalate' }) });
    expect(r.calls['Analyse']).toBe(1);
  });

  it('loops Wait → Verify while converging, and retries a trial through SelectStrategy', async () => {
    const r = await run({
      Verify: (i, call) => ({ ...i, verification: { status: call < 3 ? 'converging' : 'failed' } }),
      Reflect: (i, call) => ({ ...i, next: call === 1 ? 'retry' : 'resolved' }),
    });
    expect(r.path.filter((s) => s === 'WaitForConvergence')).toHaveLength(4);
    expect(r.path.filter((s) => s === 'SelectStrategy')).toHaveLength(2);
    expect(r.path.at(-1)).toBe('Resolved');
  });
});
