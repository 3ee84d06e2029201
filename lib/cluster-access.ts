import { Annotations, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { READER_GROUP, WRITER_GROUP } from '../functions/adapters/kubernetes/rbac';
import type { FunctionRole } from '../functions/config/env';
import type { ReflexionFunction } from './reflexion-function';

/** Roles that only read the cluster (lock: a pod's top controller keys the lock): their access entries map them to the reader group. */
export const EKS_READER_ROLES = ['lock', 'detect', 'analyse', 'select-strategy', 'verify', 'alerts'] as const satisfies readonly FunctionRole[];
/** Roles that may write (remediate; reflect may undo; the action API): reader and writer groups. */
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
 * access entry maps it to Kubernetes groups (`kubernetesGroups`, no AWS
 * access policy): readers to the reader group, actors to the reader and the
 * writer groups. What the groups may do is the RBAC of `eks-reflexion rbac`
 * (functions/adapters/kubernetes/rbac.ts), applied by an operator: reads of
 * exactly what the code reads, writes (patch, delete pods, create events)
 * only in the opt-in namespaces. AmazonEKSEditPolicy would have let the
 * writers read Secrets, exec into pods and create Deployments, and not
 * create the audit Event.
 *
 * Each cluster's entries live under `new Construct(this, clusterName)`, so
 * their logical ids depend on the cluster's name, never on its position in
 * the list: reordering or removing a cluster leaves the others' entries alone.
 */
export class ClusterAccess extends Construct {
  /** What the actor functions may change, in words (also a stack output). */
  readonly writeAccess: string;
  /** The operator's step that gives the groups their Kubernetes rights (also a stack output). */
  readonly rbacCommand: string;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const clusterArns = props.clusterNames.map((name) => stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name }));
    const describe = new iam.PolicyStatement({ actions: ['eks:DescribeCluster'], resources: clusterArns });
    const optIn = [...props.optInNamespaces];

    for (const f of [...props.readers, ...props.actors]) f.executionRole.addToPrincipalPolicy(describe);
    for (const clusterName of props.clusterNames) {
      const cluster = new Construct(this, clusterName);
      const entry = (f: ReflexionFunction<FunctionRole>, kubernetesGroups: string[]) =>
        new eks.CfnAccessEntry(cluster, pascal(f.role), {
          clusterName,
          principalArn: f.executionRole.roleArn,
          type: 'STANDARD',
          kubernetesGroups,
        });
      for (const f of props.readers) entry(f, [READER_GROUP]);
      for (const f of props.actors) entry(f, [READER_GROUP, WRITER_GROUP]);
    }

    this.rbacCommand = `npx eks-reflexion rbac${optIn.map((ns) => ` --namespace ${ns}`).join('')} | kubectl apply -f -`;
    this.writeAccess =
      optIn.length > 0
        ? `group ${WRITER_GROUP} (remediate, reflect, actions): patch deployments, deployments/scale and HPAs, delete pods, create events in namespaces ${optIn.join(', ')} once '${this.rbacCommand}' is applied`
        : 'none: no opt-in namespaces configured, so no function may write to the clusters';
    if (optIn.length === 0) {
      Annotations.of(stack).addWarningV2(
        'eks-reflexion:no-write-access',
        'No optInNamespaces configured: no namespace gets a writer Role (eks-reflexion rbac without --namespace prints read-only RBAC), so the API server refuses every write until optInNamespaces is set.',
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
