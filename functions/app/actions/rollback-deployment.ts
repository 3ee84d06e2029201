import type { z } from 'zod';
import type { RollbackDeploymentSchema } from '../../domain/actions';
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from '../../domain/k8s';
import { currentRevisionOf, replicaSetsOf, revisionOf, rollbackTarget, rolloutHistory } from '../../domain/workload';
import { ActionNotApplicable, deploymentPreImage, jsonEqual, lastActionOf, type Plan } from './common';

type Request = z.infer<typeof RollbackDeploymentSchema>;

const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The ReplicaSet's template as the Deployment would carry it: without the controller-added hash label. */
export function templateForDeployment(rs: ReplicaSet): PodTemplateSpec {
  const template = structuredClone(rs.spec?.template ?? {});
  const labels = template.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH in labels) {
    delete labels[POD_TEMPLATE_HASH];
  }
  return template;
}

/**
 * rollback_deployment, the `kubectl rollout undo` way: replace spec.template
 * with the target revision's ReplicaSet template. Default target: the newest
 * earlier revision whose pods were healthy (else the newest earlier one not
 * known to be failing, said in details.basis); never the current revision.
 */
export function planRollbackDeployment(
  deployment: Deployment,
  request: Request,
  context: { replicaSets: ReplicaSet[]; pods: Pod[] },
): Plan {
  // The revision our own last rollback left is known failing, whatever its pods show now (they may be gone).
  const marker = lastActionOf(deployment.metadata?.annotations);
  const rolledBackFrom = marker?.action === 'rollback_deployment' ? marker.pre?.revision : undefined;
  const history = rolloutHistory(deployment, context.replicaSets, context.pods).map((r) =>
    r.revision === rolledBackFrom ? { ...r, healthy: false } : r,
  );
  const current = currentRevisionOf(deployment);
  const where = `deployment ${request.namespace}/${request.deployment}`;
  if (current === undefined) {
    throw new ActionNotApplicable(`${where} has no revision yet; nothing to roll back to`, 'deployment');
  }
  const revisions = history.map((r) => r.revision).join(', ') || 'none';
  let target: { revision: number; replicaSet: string; basis: string };
  if (request.to_revision !== undefined) {
    const found = history.find((r) => r.revision === request.to_revision);
    if (!found) throw new ActionNotApplicable(`to_revision: ${request.to_revision} is not in the rollout history of ${where} (revisions: ${revisions})`, 'to_revision');
    if (found.revision === current) throw new ActionNotApplicable(`to_revision: ${request.to_revision} is the current revision of ${where}`, 'to_revision');
    if (found.healthy === false) throw new ActionNotApplicable(`to_revision: revision ${request.to_revision} of ${where} is known to be failing`, 'to_revision');
    target = { revision: found.revision, replicaSet: found.replicaSet, basis: 'requested' };
  } else {
    const chosen = rollbackTarget(history, current);
    if (!chosen) {
      throw new ActionNotApplicable(`${where}: no earlier revision that is not known to be failing (current ${current}; revisions: ${revisions})`, 'to_revision');
    }
    target = { revision: chosen.revision.revision, replicaSet: chosen.revision.replicaSet, basis: chosen.basis };
  }
  const rs = replicaSetsOf(deployment, context.replicaSets).find((r) => revisionOf(r) === target.revision);
  if (!rs?.spec?.template) {
    throw new ActionNotApplicable(`${where}: ReplicaSet ${target.replicaSet} of revision ${target.revision} has no pod template`, 'to_revision');
  }
  const template = templateForDeployment(rs);
  const images = history.find((r) => r.revision === target.revision)?.images ?? {};
  return {
    done: jsonEqual(deployment.spec?.template, template),
    ops: [{ op: 'replace', path: '/spec/template', value: template }],
    preImage: deploymentPreImage(deployment, { template: true }),
    summary: `rolled back ${where} from revision ${current} to revision ${target.revision} (${Object.entries(images)
      .map(([c, i]) => `${c}=${i}`)
      .join(', ')})`,
    details: { fromRevision: current, toRevision: target.revision, toReplicaSet: target.replicaSet, basis: target.basis, images },
  };
}
