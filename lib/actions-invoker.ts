import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface ActionsInvokerProps {
  /** The direct action API function. */
  readonly actions: lambda.IFunction;
  /**
   * Who may assume the invoker role.
   * @default the stack's account (principals there still need sts:AssumeRole on it)
   */
  readonly assumedBy?: iam.IPrincipal;
}

/**
 * The one principal allowed to call the action API: other agents and tools
 * assume this role, so every write is made by a known role (CloudTrail) and
 * names its caller in `requested_by` (the Event, the annotation, the record).
 * No other principal is granted lambda:InvokeFunction on the function.
 */
export class ActionsInvoker extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ActionsInvokerProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: props.assumedBy ?? new iam.AccountRootPrincipal(),
      description: 'Assumed by agents and tools that call the eks-reflexion action API',
    });
    // The function's ARN only, not `:*` (versions and aliases): nothing but $LATEST is deployed, and no wildcard to acknowledge.
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.actions.functionArn] }));
  }
}
