import { ActionResultSchema, type ActionResult } from '../domain/actions';
import { KubeNotFound, ValidationError } from '../domain/errors';
import { IncidentSchema, type Incident } from '../domain/incident';
import type { Pod } from '../domain/k8s';
import type { Verification } from '../domain/model';
import type { PolicyConfig } from '../domain/policy-config';
import {
  asBaseline,
  judgeVerification,
  observeDeployment,
  observeHpa,
  observePod,
  observeStatefulSet,
  requiredReplicas,
  type Observation,
} from '../domain/verify';
import { controllerOf } from '../domain/workload';
import type { Clock } from '../ports/clock';
import type { Cluster } from '../ports/cluster';
import { deploymentPods } from './actions/deployment-executor';

export interface VerifyDeps {
  cluster: Cluster;
  clock: Clock;
  policy: PolicyConfig;
}

export interface VerifyInput {
  incident: Incident;
  remediation: ActionResult;
  previous?: Verification;
  /** Overrides `remediation.at + policy.verify.timeoutSeconds`. */
  deadline?: string;
}

/**
 * One check of the incident's workload after a remediation: healthy only
 * after `policy.verify.stabilitySeconds` of continuous health without a
 * restart; converging until the deadline, then failed; `worse` when fewer
 * replicas are available than before the action or a new failure kind showed up.
 */
export async function verifyWorkload(deps: VerifyDeps, input: VerifyInput): Promise<Verification> {
  const incident = IncidentSchema.safeParse(input.incident);
  if (!incident.success) throw new ValidationError(`incident.${incident.error.issues[0]?.path.join('.')}: ${incident.error.issues[0]?.message}`, 'incident');
  const remediation = ActionResultSchema.safeParse(input.remediation);
  if (!remediation.success) throw new ValidationError(`remediation.${remediation.error.issues[0]?.path.join('.')}: ${remediation.error.issues[0]?.message}`, 'remediation');
  const now = deps.clock.now();
  const actionAt = remediation.data.at;
  const deadline =
    input.deadline ?? input.previous?.deadline ?? new Date(Date.parse(actionAt) + deps.policy.verify.timeoutSeconds * 1000).toISOString();
  if (!Number.isFinite(Date.parse(deadline))) throw new ValidationError(`deadline: '${deadline}' is not a date`, 'deadline');

  const observation = await observe(deps.cluster, incident.data);
  const baseline = asBaseline(remediation.data.details['baseline']);
  return judgeVerification({
    observation,
    ...(baseline ? { baseline } : {}),
    ...(input.previous ? { previous: input.previous } : {}),
    now,
    actionAt,
    deadline,
    stabilitySeconds: deps.policy.verify.stabilitySeconds,
  });
}

async function observe(cluster: Cluster, incident: Incident): Promise<Observation> {
  const { kind, namespace, name } = incident.target;
  switch (kind) {
    case 'Deployment': {
      const deployment = await cluster.getDeployment(namespace, name);
      const minReplicas = requiredReplicas(incident);
      return observeDeployment(deployment, await deploymentPods(cluster, deployment), minReplicas !== undefined ? { minReplicas } : {});
    }
    case 'Pod': {
      const pod = await cluster.getPod(namespace, name).catch((error: unknown) => {
        if (error instanceof KubeNotFound) return undefined;
        throw error;
      });
      return observePod(pod, name);
    }
    case 'StatefulSet': {
      // The reader has no single-StatefulSet call; a namespace snapshot has it and its pods.
      const snapshot = await cluster.snapshot({ namespaces: [namespace] });
      const set = snapshot.statefulSets.find((s) => s.metadata?.name === name && s.metadata?.namespace === namespace);
      if (!set) return { kind: 'StatefulSet', healthyNow: false, facts: [`statefulset ${namespace}/${name} does not exist`], availableReplicas: 0, restarts: {}, failures: [] };
      const pods = snapshot.pods.filter((p: Pod) => {
        const ctrl = controllerOf(p);
        return ctrl?.kind === 'StatefulSet' && (ctrl.uid ? ctrl.uid === set.metadata?.uid : ctrl.name === name);
      });
      return observeStatefulSet(set, pods);
    }
    case 'HorizontalPodAutoscaler': {
      const hpa = await cluster.getHpa(namespace, name);
      const ref = hpa.spec?.scaleTargetRef;
      let target: Observation | undefined;
      if (ref?.kind === 'Deployment' && ref.name) {
        try {
          const deployment = await cluster.getDeployment(namespace, ref.name);
          target = observeDeployment(deployment, await deploymentPods(cluster, deployment));
        } catch (error) {
          if (!(error instanceof KubeNotFound)) throw error;
        }
      }
      return observeHpa(hpa, target);
    }
  }
}
