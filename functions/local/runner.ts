import './polyfills';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AppDeps } from '../app/deps';
import type { FunctionRole } from '../config/env';
import { analyseStep } from '../app/steps/analyse';
import { lockStep } from '../app/steps/lock';
import { requestApprovalStep } from '../app/steps/request-approval';
import { reflectStep } from '../app/steps/reflect';
import { remediateStep } from '../app/steps/remediate';
import { selectStrategyStep } from '../app/steps/select-strategy';
import { verifyStep } from '../app/steps/verify';
import type { OutboundEventType, WorkflowStarter } from '../ports/workflow';
import { ValidationError } from '../domain/errors';
import type { TaskTokens } from '../ports/approvals';
import { LocalTaskTokens } from './task-tokens';

export type TaskRole = FunctionRole | 'events:putEvents';
export type Step = (deps: AppDeps, input: unknown) => Promise<unknown>;

/** The same step functions the Lambda entries wrap (functions/handlers/*). */
export const STEPS: Partial<Record<FunctionRole, Step>> = {
  lock: lockStep,
  approval: requestApprovalStep,
  analyse: analyseStep,
  'select-strategy': selectStrategyStep,
  remediate: remediateStep,
  verify: verifyStep,
  reflect: reflectStep,
};

export interface StateVisit {
  execution: string;
  state: string;
  type: string;
  /** Cluster time when the state was entered. */
  at: string;
  output?: unknown;
  error?: { name: string; message: string };
}

export interface ExecutionResult {
  name: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: { name: string; cause: string };
  /** States in the order they ran. */
  path: string[];
  /** Wall-clock milliseconds the workflow's compute took. */
  wallMs: number;
  /** Cluster seconds between start and end (waits included). */
  clusterSeconds: number;
  transitions: number;
  taskInvocations: Partial<Record<TaskRole, number>>;
}

export interface LocalWorkflowOptions {
  definition: Record<string, unknown>;
  roleOfTask: Record<string, TaskRole>;
  deps: AppDeps;
  /** Moves cluster time forward (the simulator's virtual clock, or a real sleep). */
  advance: (seconds: number) => Promise<void>;
  /** Replaces a role's step (tests inject failures here). */
  stepOverrides?: Partial<Record<FunctionRole, Step>>;
  onVisit?: (visit: StateVisit) => void;
}

type States = Record<string, Record<string, unknown>>;

/** Step Functions' limit on a state's input or output (and on an execution's input): 256 KiB of UTF-8 JSON. */
export const STATE_DATA_LIMIT_BYTES = 262_144;

/** A state's data over the limit: terminal on AWS, not caught by States.ALL. */
export class DataLimitExceeded extends Error {
  override readonly name = 'States.DataLimitExceeded' as const;
}

/** How long Step Functions keeps an execution name in use after the execution closed. */
const NAME_RETENTION_MS = 90 * 86_400_000;

/** The name was used by this state machine within 90 days (Step Functions' error of that name). */
export class ExecutionAlreadyExists extends Error {
  override readonly name = 'ExecutionAlreadyExists' as const;
}

/** Step Functions' rule for names: 1-80 characters, no whitespace, wildcards, brackets or control characters (ASCII kept here). */
export function checkExecutionName(name: string): void {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw new ValidationError(`execution name '${name.slice(0, 100)}': 1-80 characters of A-Z a-z 0-9 _ -`, 'name');
  }
}

/** Definitions the interpreter has already validated (the synthesized definition is cached per policy and clusters). */
const VALIDATED = new WeakSet<object>();

/**
 * Runs the CDK-synthesized state machine definition with aws-local-stepfunctions,
 * dispatching each Lambda task to the same step function in-process (with a JSON
 * round trip, as a Lambda boundary would), and turning each Wait into cluster time:
 * a task whose only predecessors are Wait states advances the clock by that wait
 * before it runs, so waits are shortened, never skipped.
 *
 * Implements WorkflowStarter: names are idempotent like Step Functions'; started
 * executions run one at a time, in order, when `drain()` is awaited.
 */
export class LocalWorkflow implements WorkflowStarter, TaskTokens {
  private readonly machine: StateMachine;
  private readonly waitBefore: Map<string, number>;
  /** `.waitForTaskToken` task states and their TimeoutSeconds (cluster time). */
  private readonly waitsForToken: Map<string, number>;
  private readonly tokens: LocalTaskTokens;
  /** Names used, with when and the input they started with (Step Functions keeps them 90 days per state machine). */
  private readonly names = new Map<string, { at: number; input: string }>();
  private readonly queue: { name: string; input: unknown }[] = [];
  readonly results: ExecutionResult[] = [];

  constructor(private readonly options: LocalWorkflowOptions) {
    // Validating compiles a JSON schema (ajv): once per definition, not once per run (benchmarks build a runner per incident).
    const validated = VALIDATED.has(options.definition);
    this.machine = new StateMachine(options.definition as never, { validationOptions: validated ? { noValidate: true } : { checkArn: false } });
    VALIDATED.add(options.definition);
    this.waitBefore = waitsBeforeTasks(options.definition);
    this.waitsForToken = taskTokenTimeouts(options.definition);
    this.tokens = new LocalTaskTokens(options.deps.clock);
  }

  /** SendTaskSuccess, for approve_action run against this runner. */
  succeed(token: string, output: Record<string, unknown>): Promise<void> {
    return this.tokens.succeed(token, output);
  }

  /** SendTaskFailure, for deny_action and stale approvals run against this runner. */
  fail(token: string, error: string, cause: string): Promise<void> {
    return this.tokens.fail(token, error, cause);
  }

  /** Task tokens waiting for an answer. */
  pendingTaskTokens(): string[] {
    return this.tokens.pending();
  }

  /**
   * Step Functions' name semantics: a name is unique per state machine for 90
   * days. Starting it again with the same input is idempotent (nothing new
   * starts); with another input it is ExecutionAlreadyExists, which the AWS
   * adapter also answers as `started: false`.
   */
  async start(name: string, input: unknown): Promise<{ started: boolean; executionId: string }> {
    checkExecutionName(name);
    if (this.nameInUse(name)) return { started: false, executionId: name };
    this.claimName(name, input);
    this.queue.push({ name, input: JSON.parse(JSON.stringify(input)) as unknown });
    return { started: true, executionId: name };
  }

  private nameInUse(name: string): boolean {
    const used = this.names.get(name);
    return used !== undefined && this.options.deps.clock.now().getTime() - used.at < NAME_RETENTION_MS;
  }

  private claimName(name: string, input: unknown): void {
    this.names.set(name, { at: this.options.deps.clock.now().getTime(), input: JSON.stringify(input) });
  }

  /**
   * Runs every queued execution to its end, in start order; with `shouldStop`,
   * starts no further execution once it answers true (an interrupted CLI run).
   */
  async drain(shouldStop?: () => boolean): Promise<ExecutionResult[]> {
    const done: ExecutionResult[] = [];
    for (let next = shouldStop?.() ? undefined : this.queue.shift(); next; next = shouldStop?.() ? undefined : this.queue.shift()) {
      done.push(await this.run(next.name, next.input));
    }
    return done;
  }

  /** Runs one execution now (execute --input, tests); a name used in the last 90 days is refused as Step Functions would. */
  async execute(name: string, input: unknown): Promise<ExecutionResult> {
    checkExecutionName(name);
    const queued = this.queue.findIndex((q) => q.name === name);
    if (queued >= 0) this.queue.splice(queued, 1);
    else if (this.nameInUse(name)) throw new ExecutionAlreadyExists(`execution name '${name}' was already used by this state machine in the last 90 days`);
    else this.claimName(name, input);
    return this.run(name, input);
  }

  private async run(name: string, input: unknown): Promise<ExecutionResult> {
    const { deps } = this.options;
    const started = deps.clock.now();
    const wallStart = performance.now();
    const path: string[] = [];
    const invocations: Partial<Record<TaskRole, number>> = {};
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, role] of Object.entries(this.options.roleOfTask)) {
      handlers[stateName] = async (taskInput: unknown) => {
        invocations[role] = (invocations[role] ?? 0) + 1;
        const wait = this.waitBefore.get(stateName);
        if (wait !== undefined && wait > 0) await this.options.advance(wait);
        checkDataLimit(stateName, 'input', taskInput);
        const output = await this.dispatch(stateName, role, taskInput);
        checkDataLimit(stateName, 'output', output);
        return output;
      };
    }
    // $$.Task.Token: a fresh token each time a state's Parameters read it, as Step Functions issues one per task entry.
    const tokens = this.tokens;
    const taskContext = Object.defineProperty({}, 'Token', { enumerable: true, get: () => tokens.mint() });
    const waitOverrides = Object.fromEntries(
      Object.entries(states(this.options.definition))
        .filter(([, s]) => s['Type'] === 'Wait')
        .map(([n]) => [n, 0]),
    );
    let dataLimit: DataLimitExceeded | undefined;
    const checkDataLimit = (stateName: string, what: 'input' | 'output', value: unknown) => {
      const bytes = Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
      if (bytes <= STATE_DATA_LIMIT_BYTES) return;
      dataLimit = new DataLimitExceeded(`state '${stateName}': ${what} of ${bytes} bytes exceeds the 256 KiB limit of Step Functions`);
      run.abort();
      throw dataLimit;
    };
    const inputBytes = Buffer.byteLength(JSON.stringify(input ?? null), 'utf8');
    // StartExecution itself refuses such an input on AWS.
    if (inputBytes > STATE_DATA_LIMIT_BYTES) throw new DataLimitExceeded(`execution input of ${inputBytes} bytes exceeds the 256 KiB limit of Step Functions`);
    const run = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waitOverrides, retryIntervalOverrides: retryOverrides(this.options.definition) },
      context: { Execution: { Id: `arn:aws:states:local:000000000000:execution:eks-reflexion:${name}`, Name: name }, Task: taskContext } as never,
    });
    const logging = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') {
          path.push(event.state.name);
          this.options.onVisit?.({ execution: name, state: event.state.name, type: event.state.type, at: deps.clock.now().toISOString() });
        } else if (event.type === 'StateExited') {
          this.options.onVisit?.({ execution: name, state: event.state.name, type: `${event.state.type}:exit`, at: deps.clock.now().toISOString(), output: event.state.output });
        } else if (event.type === 'StateFailed' || event.type === 'StateCaught') {
          const e = event as unknown as { Error?: string; Cause?: string; catch?: { error?: string; cause?: string } };
          this.options.onVisit?.({
            execution: name,
            state: event.state.name,
            type: event.type,
            at: deps.clock.now().toISOString(),
            error: { name: e.Error ?? e.catch?.error ?? 'Error', message: String(e.Cause ?? e.catch?.cause ?? '') },
          });
        }
      }
    })();
    let result: ExecutionResult;
    const finish = (status: ExecutionResult['status'], extra: Partial<ExecutionResult>): ExecutionResult => ({
      name,
      status,
      path,
      wallMs: performance.now() - wallStart,
      clusterSeconds: (deps.clock.now().getTime() - started.getTime()) / 1000,
      transitions: path.length,
      taskInvocations: invocations,
      ...extra,
    });
    try {
      const output = await run.result;
      await logging;
      result = finish('SUCCEEDED', { output });
    } catch (error) {
      await logging.catch(() => undefined);
      if (dataLimit) {
        // Terminal, like on AWS: no Catch (not even States.ALL) sees it, the execution fails where it stood.
        result = finish('FAILED', { error: { name: dataLimit.name, cause: dataLimit.message } });
        this.results.push(result);
        return result;
      }
      const cause = (error as { cause?: { name?: string; message?: string } }).cause;
      result = finish('FAILED', { error: { name: cause?.name ?? (error as Error).name, cause: cause?.message ?? (error as Error).message } });
    }
    this.results.push(result);
    return result;
  }

  /** A Lambda boundary: JSON in, JSON out, errors reduced to their name and message. */
  /** One Task state: PutEvents, a Lambda invoke, or a `lambda:invoke.waitForTaskToken` that waits for its answer. */
  private async dispatch(stateName: string, role: TaskRole, taskInput: unknown): Promise<unknown> {
    if (role === 'events:putEvents') return this.putEvents(taskInput);
    const timeout = this.waitsForToken.get(stateName);
    if (timeout === undefined) return this.invoke(role, taskInput);
    // The function gets {FunctionName, Payload}'s Payload; the task's result is what SendTaskSuccess says.
    const payload = (taskInput as { Payload?: { taskToken?: unknown } } | null)?.Payload;
    const token = payload?.taskToken;
    if (typeof token !== 'string') throw new Error(`local runner: '${stateName}' waits for a task token but its Payload carries none`);
    const answer = this.tokens.wait(token, timeout);
    try {
      await this.invoke(role, payload);
    } catch (error) {
      await this.tokens.fail(token, 'States.TaskFailed', 'the function failed').catch(() => undefined);
      await answer.catch(() => undefined);
      throw error;
    }
    return answer;
  }

  private async invoke(role: FunctionRole, input: unknown): Promise<unknown> {
    const step = this.options.stepOverrides?.[role] ?? STEPS[role];
    if (!step) throw new Error(`local runner: no step for role '${role}'`);
    try {
      const output = await step(this.options.deps, JSON.parse(JSON.stringify(input ?? null)));
      return JSON.parse(JSON.stringify(output ?? null)) as unknown;
    } catch (error) {
      const e = error as Error;
      const lambdaError = new Error(e.message);
      lambdaError.name = e.name || 'Error';
      throw lambdaError;
    }
  }

  /** The EventBridge PutEvents task, delivered to the app's event publisher. */
  private async putEvents(input: unknown): Promise<unknown> {
    const entries = ((input as { Entries?: unknown[] })?.Entries ?? []) as { DetailType?: string; Detail?: unknown }[];
    for (const entry of entries) {
      const detail = typeof entry.Detail === 'string' ? (JSON.parse(entry.Detail) as Record<string, unknown>) : ((entry.Detail ?? {}) as Record<string, unknown>);
      await this.options.deps.events.publish((entry.DetailType ?? 'Unknown') as OutboundEventType, detail);
    }
    return { Entries: entries.map((_, i) => ({ EventId: `local-${i}` })), FailedEntryCount: 0 };
  }
}

/** Task states that wait for a task token, with their timeout (Step Functions' default, a year, when unset). */
export function taskTokenTimeouts(definition: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, s] of Object.entries(states(definition))) {
    if (s['Type'] !== 'Task' || !String(s['Resource']).endsWith('.waitForTaskToken')) continue;
    const seconds = s['TimeoutSeconds'];
    out.set(name, typeof seconds === 'number' ? seconds : 365 * 86_400);
  }
  return out;
}

function states(definition: Record<string, unknown>): States {
  return (definition['States'] ?? {}) as States;
}

/** Retry pauses are wall-clock in the interpreter; keep them short locally (still counted). */
function retryOverrides(definition: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(states(definition))
      .filter(([, s]) => Array.isArray(s['Retry']))
      .map(([n]) => [n, 10]),
  );
}

/**
 * For each Task state whose every predecessor is a Wait state with a fixed
 * `Seconds`, the cluster time to pass before it runs. Any other shape is
 * refused rather than guessed, so a changed definition cannot silently skip a wait.
 */
export function waitsBeforeTasks(definition: Record<string, unknown>): Map<string, number> {
  const all = states(definition);
  const predecessors = new Map<string, string[]>();
  const link = (from: string, to: unknown) => {
    if (typeof to !== 'string') return;
    predecessors.set(to, [...(predecessors.get(to) ?? []), from]);
  };
  for (const [name, s] of Object.entries(all)) {
    link(name, s['Next']);
    link(name, s['Default']);
    for (const c of (s['Choices'] as { Next?: string }[] | undefined) ?? []) link(name, c.Next);
    for (const c of (s['Catch'] as { Next?: string }[] | undefined) ?? []) link(name, c.Next);
  }
  const result = new Map<string, number>();
  for (const [name, s] of Object.entries(all)) {
    if (s['Type'] !== 'Wait') continue;
    const next = s['Next'];
    if (typeof next !== 'string') continue;
    const seconds = s['Seconds'];
    if (typeof seconds !== 'number') throw new Error(`local runner: Wait state '${name}' must use a fixed Seconds`);
    const preds = predecessors.get(next) ?? [];
    if (!preds.every((p) => all[p]?.['Type'] === 'Wait' && all[p]?.['Seconds'] === seconds)) {
      throw new Error(`local runner: '${next}' follows Wait '${name}' but also other states; cannot attribute the wait`);
    }
    result.set(next, seconds);
  }
  return result;
}
