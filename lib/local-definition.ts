import { App, CfnElement } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { FunctionRole } from '../functions/config/env';
import { EksReflexionStack, type EksReflexionStackProps } from './eks-reflexion-stack';
import { ROLE_METADATA_KEY } from './reflexion-function';

export type LocalTaskRole = FunctionRole | 'events:putEvents';

export interface LocalStateMachineDefinition {
  /** The synthesized ASL with every CloudFormation token replaced by a local placeholder. */
  definition: Record<string, unknown>;
  /** Task state name → the role of the function it invokes, or `events:putEvents`. */
  roleOfTask: Record<string, LocalTaskRole>;
}

/** Placeholder ARN of a role's function in local runs. */
/** The bus name local runs use in place of the one CloudFormation generates. */
export const LOCAL_EVENT_BUS_NAME = 'eks-reflexion-local';

export const localFunctionArn = (role: FunctionRole): string => `arn:aws:lambda:local:000000000000:function:${role}`;

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'local',
  'AWS::AccountId': '000000000000',
  'AWS::URLSuffix': 'amazonaws.com',
};

const cache = new Map<string, LocalStateMachineDefinition>();

/**
 * The state machine definition exactly as CDK synthesizes it for the stack,
 * for the local ASL runner: the stack is built in-process (no bundling, no
 * validation plugins), the DefinitionString's `Fn::Join`/`Fn::GetAtt`/`Ref`
 * tokens are resolved to placeholder ARNs, and each Task state is mapped to
 * the role of the function it invokes through the functions' role metadata.
 * Cached per process and per props (building the stack takes seconds).
 */
export function localStateMachineDefinition(props: Partial<EksReflexionStackProps> = {}): LocalStateMachineDefinition {
  const key = JSON.stringify(props);
  const hit = cache.get(key);
  if (hit) return structuredClone(hit);

  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
    treeMetadata: false,
  });
  const stack = new EksReflexionStack(app, 'EksReflexionLocal', { clusterNames: ['local'], ...props });

  // Logical id → what a token pointing at it stands for locally.
  const arnOf = new Map<string, string>();
  const roleOfArn = new Map<string, FunctionRole>();
  const refOf = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    if (!(node instanceof lambda.CfnFunction)) continue;
    const role = node.getMetadata(ROLE_METADATA_KEY) as FunctionRole | undefined;
    if (!role) continue;
    const logicalId = stack.getLogicalId(node);
    arnOf.set(logicalId, localFunctionArn(role));
    roleOfArn.set(localFunctionArn(role), role);
    refOf.set(logicalId, role);
  }
  const bus = stack.eventBus.node.defaultChild as CfnElement;
  refOf.set(stack.getLogicalId(bus), LOCAL_EVENT_BUS_NAME);
  arnOf.set(stack.getLogicalId(bus), `arn:aws:events:local:000000000000:event-bus/${LOCAL_EVENT_BUS_NAME}`);

  const cfn = stack.incidentStateMachine.stateMachine.node.defaultChild as sfn.CfnStateMachine;
  const definitionString = resolveTokens(stack.resolve(cfn.definitionString), arnOf, refOf);
  if (typeof definitionString !== 'string') throw new Error('local definition: DefinitionString did not resolve to a string');
  const definition = JSON.parse(definitionString) as Record<string, unknown>;

  const roleOfTask: Record<string, LocalTaskRole> = {};
  for (const [name, state] of Object.entries((definition['States'] ?? {}) as Record<string, Record<string, unknown>>)) {
    if (state['Type'] !== 'Task') continue;
    const resource = String(state['Resource']);
    // A `.waitForTaskToken` Lambda task names its function in Parameters; the runner waits for the token.
    const waitsForToken = resource.endsWith(':states:::lambda:invoke.waitForTaskToken');
    const role = waitsForToken ? roleOfArn.get(String((state['Parameters'] as Record<string, unknown> | undefined)?.['FunctionName'])) : roleOfArn.get(resource);
    if (role) roleOfTask[name] = role;
    else if (resource.endsWith(':states:::events:putEvents')) roleOfTask[name] = 'events:putEvents';
    else throw new Error(`local definition: Task state '${name}' invokes '${resource}', which is no function of the stack`);
  }

  const result = { definition, roleOfTask };
  cache.set(key, result);
  return structuredClone(result);
}

/** Resolves the intrinsic functions CDK puts in a state machine definition; anything else is an error, not a guess. */
export function resolveTokens(value: unknown, arnOf: ReadonlyMap<string, string>, refOf: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return value.map((v) => resolveTokens(v, arnOf, refOf));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [fn] = keys as [string];
    const arg = obj[fn];
    if (fn === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return parts.map((p) => String(resolveTokens(p, arnOf, refOf))).join(sep);
    }
    if (fn === 'Ref') {
      const name = String(arg);
      const resolved = PSEUDO[name] ?? refOf.get(name);
      if (resolved === undefined) throw new Error(`local definition: cannot resolve Ref ${name}`);
      return resolved;
    }
    if (fn === 'Fn::GetAtt') {
      const [logicalId, attribute] = arg as [string, string];
      const resolved = attribute === 'Arn' ? arnOf.get(logicalId) : undefined;
      if (resolved === undefined) throw new Error(`local definition: cannot resolve Fn::GetAtt ${logicalId}.${attribute}`);
      return resolved;
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveTokens(obj[k], arnOf, refOf)]));
}
