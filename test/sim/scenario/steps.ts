import type { Pod } from '../../../functions/domain/k8s';
import type { SimClock } from '../clock';
import { deleteIfExists, deploymentPath, patchContainer, rolloutUndo, scaleDeployment } from '../faults/kit';
import { hpaPath } from '../faults/hpa';
import { isConflict, KubeApiError, type KubeClientLike } from '../kube-client';
import { normaliseImage, registryFor, type RegistryEntry } from '../registry';
import { behaviourOf } from './app-model';
import { evalExpression, expandDeep } from './expr';
import type { AppModel, Step } from './schema';

/**
 * Runs the steps of a scenario's timeline, noise and manual fix. Templates
 * in a step are expanded when it runs, over the parameters and what earlier
 * steps recorded (`corruptPodState … as: victim`). Every step is plain API
 * calls (or a change to the simulated registry), so it runs against the
 * simulator and a real kube-apiserver alike.
 */

export interface StepContext {
  /** Parameters, then what steps recorded (mutable: steps add to it). */
  scope: Record<string, unknown>;
  /** The instance's images by normalised reference (changed in place by load/setApp). */
  images: Map<string, RegistryEntry>;
  corruptPods: string[];
  clock?: SimClock;
}

type Kind = 'Namespace' | 'ConfigMap' | 'Secret' | 'Service' | 'Deployment' | 'StatefulSet' | 'HorizontalPodAutoscaler' | 'Pod' | 'Event';

const CORE: Partial<Record<Kind, string>> = { Namespace: 'namespaces', ConfigMap: 'configmaps', Secret: 'secrets', Service: 'services', Pod: 'pods', Event: 'events' };
const APPS: Partial<Record<Kind, string>> = { Deployment: 'deployments', StatefulSet: 'statefulsets' };

export class ScenarioStepError extends Error {
  override readonly name = 'ScenarioStepError' as const;
}

/** Collection path of a kind in a namespace (HPAs through the version the server offers). */
export async function collectionPath(k: KubeClientLike, kind: string, namespace: string | undefined): Promise<string> {
  if (kind === 'HorizontalPodAutoscaler') {
    if (!namespace) throw new ScenarioStepError('a HorizontalPodAutoscaler needs a namespace');
    return (await hpaPath(k, namespace)).collection;
  }
  if (kind === 'Namespace') return '/api/v1/namespaces';
  const core = CORE[kind as Kind];
  const apps = APPS[kind as Kind];
  if (!core && !apps) throw new ScenarioStepError(`kind ${kind} is not one a scenario can write (${[...Object.keys(CORE), ...Object.keys(APPS), 'HorizontalPodAutoscaler'].join(', ')})`);
  if (!namespace) throw new ScenarioStepError(`a ${kind} needs a namespace`);
  return core ? `/api/v1/namespaces/${namespace}/${core}` : `/apis/apps/v1/namespaces/${namespace}/${apps}`;
}

/** Creates, or replaces when it already exists (namespaces: left as they are). */
export async function applyObject(k: KubeClientLike, object: Record<string, unknown>): Promise<void> {
  const meta = (object.metadata ?? {}) as { name?: string; namespace?: string };
  const collection = await collectionPath(k, String(object.kind), meta.namespace);
  try {
    await k.create(collection, object);
  } catch (e) {
    if (!(e instanceof KubeApiError && e.status === 409)) throw e;
    if (object.kind === 'Namespace') return;
    for (let attempt = 0; ; attempt++) {
      const current = await k.get<{ metadata?: { resourceVersion?: string } }>(`${collection}/${meta.name}`);
      try {
        await k.replace(`${collection}/${meta.name}`, { ...object, metadata: { ...(object.metadata as object), resourceVersion: current.metadata?.resourceVersion } });
        return;
      } catch (err) {
        if (attempt < 3 && isConflict(err)) continue;
        throw err;
      }
    }
  }
}

let eventSeq = 0;

export async function runStep(k: KubeClientLike, raw: Step, ctx: StepContext): Promise<void> {
  const { at: _at, when, ...rest } = raw;
  if (when !== undefined && !evalExpression(when, ctx.scope)) return;
  const step = expandDeep(rest, ctx.scope) as Step;
  if ('apply' in step) {
    for (const object of step.apply) await applyObject(k, object as Record<string, unknown>);
  } else if ('patch' in step) {
    const { target, type, patch } = step.patch;
    const path = `${await collectionPath(k, target.kind, target.namespace)}/${target.name}`;
    await k.patch(path, patch, type ?? 'strategic');
  } else if ('setContainer' in step) {
    await patchContainer(k, step.setContainer.namespace, step.setContainer.deployment, step.setContainer.container);
  } else if ('scale' in step) {
    await scaleDeployment(k, step.scale.namespace, step.scale.deployment, num(step.scale.replicas, 'scale.replicas'));
  } else if ('rollback' in step) {
    const to = step.rollback.toRevision;
    await rolloutUndo(k, step.rollback.namespace, step.rollback.deployment, to === undefined ? undefined : num(to, 'rollback.toRevision'));
  } else if ('delete' in step) {
    await deleteIfExists(k, `${await collectionPath(k, step.delete.kind, step.delete.namespace)}/${step.delete.name}`);
  } else if ('load' in step) {
    const entry = imageOf(ctx, step.load.image);
    const b = (entry.behaviour ??= {});
    b.serviceCpuMillicores = Math.round(num(step.load.units, 'load.units') * (b.cpuMillicoresPerUnit ?? 1));
  } else if ('setApp' in step) {
    const entry = imageOf(ctx, step.setApp.image);
    Object.assign((entry.behaviour ??= {}), behaviourOf(step.setApp.app as Partial<AppModel>, ctx.corruptPods, true));
  } else if ('corruptPodState' in step) {
    const { namespace, selector, index, as } = step.corruptPodState;
    const victim = await podAt(k, namespace, selector, num(index, 'corruptPodState.index'), 'corruptPodState');
    ctx.corruptPods.push(victim);
    if (as) ctx.scope[as] = victim;
  } else if ('deletePod' in step) {
    const { namespace, selector, index, as } = step.deletePod;
    const victim = await podAt(k, namespace, selector, num(index, 'deletePod.index'), 'deletePod');
    await deleteIfExists(k, `/api/v1/namespaces/${namespace}/pods/${victim}`);
    if (as) ctx.scope[as] = victim;
  } else if ('unpublish' in step) {
    imageOf(ctx, step.unpublish.image);
    registryFor(k.url)?.remove(step.unpublish.image);
  } else if ('publish' in step) {
    registryFor(k.url)?.add(imageOf(ctx, step.publish.image));
  } else if ('events' in step) {
    const e = step.events;
    const now = (ctx.clock?.now() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    for (let i = 0; i < num(e.count ?? 1, 'events.count'); i++) {
      eventSeq += 1;
      await k.create(`/api/v1/namespaces/${e.namespace}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `${e.involvedObject.name}.${Date.now().toString(16)}${eventSeq.toString(16)}`, namespace: e.namespace },
        involvedObject: { kind: e.involvedObject.kind, name: e.involvedObject.name, namespace: e.namespace },
        reason: e.reason,
        message: e.message,
        type: e.type ?? 'Normal',
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: e.involvedObject.kind === 'Deployment' ? 'deployment-controller' : 'kubelet' },
        reportingComponent: '',
        reportingInstance: '',
      });
    }
  }
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ScenarioStepError(`${what} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** The running pod at `index` (modulo their count) of those matching `selector`, sorted by name. */
async function podAt(k: KubeClientLike, namespace: string, selector: string, index: number, step: string): Promise<string> {
  const pods = (await k.list<Pod>(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: selector })).filter((p) => p.spec?.nodeName && !p.metadata?.deletionTimestamp);
  pods.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  const victim = pods[index % Math.max(1, pods.length)]?.metadata?.name;
  if (!victim) throw new ScenarioStepError(`${step}: no running pod in ${namespace} matches ${selector} (let the baseline settle first)`);
  return victim;
}

function imageOf(ctx: StepContext, image: string): RegistryEntry {
  const entry = ctx.images.get(normaliseImage(image));
  if (!entry) throw new ScenarioStepError(`image ${image} is not one of the scenario's images (${[...ctx.images.keys()].join(', ')})`);
  return entry;
}

/**
 * Steps after the first moment (at > 0), on the cluster's clock: with a
 * virtual clock at the tick that reaches their time, with a real one within
 * a second of it. Returns a stop function; errors go to `onError`.
 */
export function scheduleSteps(k: KubeClientLike, steps: Step[], ctx: StepContext, clock: SimClock, startedAt: number, onError: (e: unknown) => void): () => void {
  const pending = steps
    .map((s, i) => ({ s, i, at: typeof s.at === 'number' ? s.at : Number(expandDeep(s.at ?? 0, ctx.scope)) }))
    .filter((x) => x.at > 0)
    .sort((a, b) => a.at - b.at || a.i - b.i);
  if (pending.length === 0) return () => {};
  let busy = false;
  const due = async (now: Date) => {
    if (busy) return;
    busy = true;
    try {
      while (pending.length > 0 && now.getTime() - startedAt >= pending[0]!.at * 1000) {
        const next = pending.shift()!;
        await runStep(k, next.s, { ...ctx, clock }).catch(onError);
      }
    } finally {
      busy = false;
    }
  };
  if (clock.virtual) return clock.onTick(due);
  const timer = setInterval(() => void due(clock.now()), 1000);
  return () => clearInterval(timer);
}

export { deploymentPath };
