import { Annotations, Aws, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { FunctionRole } from '../functions/config/env';
import type { ReflexionFunction } from './reflexion-function';

/** Roles that only read the cluster: their access entries get AmazonEKSViewPolicy, cluster-wide. */
export const EKS_READER_ROLES = ['detect', 'analyse', 'select-strategy', 'verify'] as const satisfies readonly FunctionRole[];
/** Roles that may write (remediate; reflect may undo; the action API): view cluster-wide, edit only in opt-in namespaces. */
export const EKS_ACTOR_ROLES = ['remediate', 'reflect', 'actions'] as const satisfies readonly FunctionRole[];

export interface ClusterAccessProps {
  /** The EKS clusters (same account and region as the stack). */
  readonly clusterNames: readonly string[];
  /** Namespaces the actors may write in; empty means no write access at all. */
  readonly optInNamespaces: readonly string[];
  /** Functions that only read the clusters. */
  readonly readers: readonly ReflexionFunction<FunctionRole>[];
  /** Functions that may write in the opt-in namespaces. */
  readonly actors: readonly ReflexionFunction<FunctionRole>[];
}

/**
 * EKS API access by IAM role, per cluster. Each function keeps its own
 * execution role (so table and Bedrock grants stay per function), and its
 * access entry says what it may do in Kubernetes: readers view cluster-wide,
 * actors additionally edit in the opt-in namespaces only. Without opt-in
 * namespaces no write access is granted at all: cluster-wide edit would
 * include kube-system.
 *
 * Each cluster's entries live under `new Construct(this, clusterName)`, so
 * their logical ids depend on the cluster's name, never on its position in
 * the list: reordering or removing a cluster leaves the others' entries alone.
 */
export class ClusterAccess extends Construct {
  /** What the actor functions may change, in words (also a stack output). */
  readonly writeAccess: string;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const policyArn = (name: string) => `arn:${Aws.PARTITION}:eks::aws:cluster-access-policy/${name}`;
    const clusterArns = props.clusterNames.map((name) => stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name }));
    const describe = new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: clusterArns });
    const optIn = [...props.optInNamespaces];
    const view = { policyArn: policyArn('AmazonEKSViewPolicy'), accessScope: { type: 'cluster' } };
    const edit = optIn.length > 0 ? { policyArn: policyArn('AmazonEKSEditPolicy'), accessScope: { type: 'namespace', namespaces: optIn } } : undefined;

    for (const f of [...props.readers, ...props.actors]) f.executionRole.addToPrincipalPolicy(describe);
    for (const clusterName of props.clusterNames) {
      const cluster = new Construct(this, clusterName);
      const entry = (f: ReflexionFunction<FunctionRole>, accessPolicies: (typeof view)[]) =>
        new eks.CfnAccessEntry(cluster, pascal(f.role), {
          clusterName,
          principalArn: f.executionRole.roleArn,
          type: 'STANDARD',
          accessPolicies,
        });
      for (const f of props.readers) entry(f, [view]);
      for (const f of props.actors) entry(f, edit ? [view, edit] : [view]);
    }

    this.writeAccess = edit
      ? `edit in namespaces ${optIn.join(', ')} (remediate, reflect, actions)`
      : 'none: no opt-in namespaces configured, so no function may write to the clusters';
    if (!edit) {
      Annotations.of(stack).addWarningV2(
        'eks-reflexion:no-write-access',
        'No optInNamespaces configured: the functions get read-only EKS access entries. Remediation will be refused by the API server until optInNamespaces is set (or an operator grants namespace access).',
      );
    }
  }
}

export function pascal(role: string): string {
  return role
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
