import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { PolicyValidationPluginReport } from 'aws-cdk-lib';
import { EksReflexionStack, type EksReflexionStackProps } from '../../lib/eks-reflexion-stack';
import { addNagChecks } from '../../lib/nag';
import { ValidationError } from '../../functions/domain/errors';

export interface Synthesized {
  app: App;
  stack: EksReflexionStack;
  template: Template;
  /** The cdk-nag AwsSolutions report over the whole app (acknowledged findings removed). */
  nag: PolicyValidationPluginReport;
}

/**
 * Builds the stack as bin/app.ts does (cdk-nag registered as a validation
 * plugin, so an unacknowledged error fails Template.fromStack), with bundling
 * and the slow built-in CloudFormation schema validation switched off.
 */
export function synth(props: EksReflexionStackProps): Synthesized {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const stack = new EksReflexionStack(app, 'EksReflexion', props);
  const checks = addNagChecks(app);
  const nag = checks.validateScope(app);
  const template = Template.fromStack(stack);
  return { app, stack, template, nag };
}

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
export const resourcesOf = (template: Template, type: string): Record<string, Resource> =>
  template.findResources(type) as Record<string, Resource>;

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
const asArray = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Every IAM policy statement attached to the role with this logical id (inline AWS::IAM::Policy resources). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .filter((p) => asArray(p.Properties['Roles'] as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => (p.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement);
}

export const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => asArray(s.Action));
export const resourcesOfStatement = (s: Statement): unknown[] => asArray(s.Resource as unknown);

/** The ValidationError a context reading throws (fails the test when it throws nothing or something else). */
export function thrownValidationError(read: () => unknown): ValidationError {
  try {
    read();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}
