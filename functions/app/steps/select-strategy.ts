import type { ActionRequest } from '../../domain/actions';
import { KubeNotFound, ValidationError } from '../../domain/errors';
import { contextFeatures } from '../../domain/features';
import type { Incident } from '../../domain/incident';
import { lessonsForProposal } from '../../domain/lessons';
import { stillInPlace } from '../../domain/selection-context';
import type { Deployment, HorizontalPodAutoscaler } from '../../domain/k8s';
import type { Lesson, Reflection, Strategy } from '../../domain/model';
import { seededStrategies } from '../../domain/seeded-strategies';
import { mulberry32, selectStrategy } from '../../domain/selection';
import { checkTargets, instantiate, strategyId, type TemplateContext } from '../../domain/strategy-template';
import type { Cluster } from '../../ports/cluster';
import { dryPlanner } from '../actions/dry-plan';
import type { AppDeps } from '../deps';
import { addUsage, checkState, clusterFor, parseState } from './state';

/**
 * SelectStrategy: candidates = learned strategies for the signature + seeded
 * defaults + the reasoner's proposal (given lessons and this incident's
 * reflections); Thompson sampling picks one; a strategy that failed earlier in
 * this incident is never repeated. The decision records all its inputs.
 */
export async function selectStrategyStep(deps: AppDeps, input: unknown): Promise<unknown> {
  const state = parseState(input, 'SelectStrategy');
  const { incident } = state;
  const cluster = await clusterFor(deps, incident.cluster);
  // Templates are sized within the policy's limits, so a seeded step is never one the write path refuses.
  const context: TemplateContext = { ...(await templateContext(cluster, incident)), bounds: deps.policy.limits };

  // Past incidents' lessons were retrieved once by Analyse; this incident's reflections come first.
  const lessons = [...lessonsFromReflections(state.reflections), ...state.lessons].slice(0, 10);
  const stored = await deps.memory.strategies.listForSignature(incident.signature);
  const seeded = seededStrategies(incident.signature, incident.kind);

  const analysis = state.analysis ?? { summary: 'no analysis', hypotheses: [], usage: { inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'deterministic' } };
  const features = contextFeatures(incident, analysis.context);
  // Earlier trials' changes still in place: this trial's outcome is credited to the combination.
  const inPlace = state.tried.filter((t) => t.inPlace === true).map(({ strategyId, action }) => ({ strategyId, action }));
  // A failed seeded or learned strategy (say ×1.5 on an HPA) rules out that strategy, not the reasoner's own use of its action.
  const notReasoner = new Set([...stored.filter((s) => s.source !== 'reasoner'), ...seeded].map((s) => s.id));
  const proposal = await deps.reasoner.propose({
    incident,
    analysis,
    lessons: lessonsForProposal(lessons, notReasoner),
    candidates: [...stored, ...seeded],
    previousReflections: state.reflections.map((r) => ({ ...r, lessons: lessonsForProposal(r.lessons, notReasoner) })),
  });
  const proposed = proposal ? strategyFromProposal(incident, proposal.action, proposal.rationale, context.container) : undefined;
  // The reasoner's arm executes with this incident's proposal; without one it cannot run.
  const concrete = (strategy: Strategy): ActionRequest => {
    if (proposal && proposed && strategy.id === proposed.id) {
      // Whoever proposed it (model or rules), an action outside this incident's own objects is no candidate.
      checkTargets(proposal.action, incident, context);
      return proposal.action;
    }
    if (Object.values(strategy.template).includes(REASONER_VALUE)) {
      throw new ValidationError(`strategy ${strategy.id} needs the reasoner's values and the reasoner made no such proposal this time`, 'template');
    }
    return instantiate(strategy, incident, context);
  };

  // Each candidate, once: its concrete action for this incident, else why not. A template that cannot be filled,
  // or a plan that cannot apply here or would change nothing (planned on the workload as it is now, nothing
  // written), makes it no candidate rather than a lost trial.
  const whyNot = dryPlanner({ cluster, clock: deps.clock, locks: deps.memory.locks, episodes: deps.memory.episodes }, context.deployment);
  const tried = new Set(state.tried.map((t) => t.strategyId));
  const requests = new Map<string, ActionRequest>();
  const excluded = new Map<string, string>();
  for (const strategy of [...stored, ...seeded, ...(proposed ? [proposed] : [])]) {
    if (strategy.retired || tried.has(strategy.id) || requests.has(strategy.id) || excluded.has(strategy.id)) continue;
    try {
      const request = concrete(strategy);
      const why = await whyNot(request);
      if (why === undefined) requests.set(strategy.id, request);
      else excluded.set(strategy.id, `does not apply here: ${why}`);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      excluded.set(strategy.id, error.message);
    }
  }

  // Every draw of this decision comes from a PRNG seeded here and recorded, so it can be replayed.
  const seed = Math.floor(deps.random() * 2 ** 31);
  const choice = selectStrategy({
    incident,
    stored,
    seeded,
    ...(proposed ? { proposal: { strategy: proposed, rationale: proposal?.rationale ?? '' } } : {}),
    tried: state.tried,
    lessons,
    config: deps.policy.selection,
    random: mulberry32(seed),
    features,
    inPlace,
    now: deps.clock.now(),
    applicable: (strategy) => excluded.get(strategy.id),
  });

  let action: ActionRequest;
  let why = choice.why;
  try {
    action = requests.get(choice.chosen.id) ?? concrete(choice.chosen);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    // A template that cannot be filled for this workload is not a reason to act blindly.
    action = { action: 'escalate', namespace: incident.namespace, reason: `strategy ${choice.chosen.id} does not apply: ${error.message}` };
    why = `${why}; but its template could not be instantiated (${error.message}), so escalating`;
  }
  await deps.memory.strategies.ensure(choice.chosen);

  deps.logger.info('strategy selected', { strategy: choice.chosen.id, action: action.action, mode: choice.mode });
  return checkState(
    {
      ...state,
      decision: {
        strategyId: choice.chosen.id,
        strategy: choice.chosen,
        action,
        mode: action.action === 'escalate' ? 'escalate' : choice.mode,
        why,
        candidates: choice.candidates,
        lessonsUsed: lessons,
        features,
        inPlace: stillInPlace(action.action, inPlace),
        seed,
        usage: proposal?.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'deterministic' },
      },
      remediation: undefined,
      verification: undefined,
      undo: undefined,
      usage: addUsage(state.usage, proposal?.usage),
    },
    'SelectStrategy',
  );
}

/** This incident's own reflections come first: they are the freshest lessons. */
function lessonsFromReflections(reflections: Reflection[]): Lesson[] {
  return [...reflections].reverse().flatMap((r) => r.lessons);
}

/** What templates need to know about the workload right now (container, resources, probes, HPA). */
async function templateContext(cluster: Cluster, incident: Incident): Promise<TemplateContext> {
  const failing = incident.evidence.containers.find((c) => !c.init && c.ready !== true) ?? incident.evidence.containers.find((c) => !c.init);
  const context: TemplateContext = { ...(failing ? { container: failing.container } : {}), ...(incident.pods[0] ? { pod: incident.pods[0] } : {}) };
  try {
    if (incident.target.kind === 'Deployment') {
      const deployment: Deployment = await cluster.getDeployment(incident.namespace, incident.target.name);
      context.deployment = deployment;
      if (!context.container) {
        const first = deployment.spec?.template?.spec?.containers?.[0]?.name;
        if (first) context.container = first;
      }
    }
    if (incident.target.kind === 'HorizontalPodAutoscaler') {
      const hpa: HorizontalPodAutoscaler = await cluster.getHpa(incident.namespace, incident.target.name);
      context.hpa = hpa;
    }
  } catch (error) {
    // The workload may be gone; templates that need it will refuse to instantiate.
    if (!(error instanceof KubeNotFound)) throw error;
  }
  return context;
}

/** Template value marking "the reasoner's own value for this incident". */
export const REASONER_VALUE = '{{reasoner}}';

/**
 * Turns the reasoner's concrete proposal into a reusable strategy, so that
 * "follow the reasoner's <action> for this signature" is one arm whose record
 * accumulates across incidents: the workload's names become placeholders and
 * the reasoner's sizes and timings become REASONER_VALUE (they are recomputed
 * for each incident). Enumerated choices (e.g. which probe) stay literal.
 */
export function strategyFromProposal(incident: Incident, action: ActionRequest, rationale: string, container?: string): Strategy {
  const template: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(action)) {
    if (key === 'action') continue;
    if (key === 'namespace' && value === incident.namespace) template[key] = '{{namespace}}';
    else if ((key === 'deployment' || key === 'hpa') && value === incident.target.name) template[key] = '{{target.name}}';
    else if (key === 'pod' && incident.pods.includes(String(value))) template[key] = '{{pod}}';
    else if (key === 'container' && value === container) template[key] = '{{container}}';
    else if (key === 'probe') template[key] = value;
    else template[key] = REASONER_VALUE;
  }
  return {
    id: strategyId(incident.signature, action.action, template),
    signature: incident.signature,
    action: action.action,
    template,
    description: rationale.slice(0, 500),
    successes: 0,
    failures: 0,
    source: 'reasoner',
    retired: false,
  };
}
