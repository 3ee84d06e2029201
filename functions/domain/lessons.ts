import type { Incident } from './incident';
import type { Episode, Lesson } from './model';
import { sanitise } from './redact';
import { describeFor } from './selection';

/**
 * Lesson retrieval (Reflexion): past reflections are useful for an incident
 * when they are about the same failure signature, or at least the same kind
 * and similar evidence. Similarity is feature overlap (Jaccard) over words,
 * image repositories, tags and exit codes — cheap, deterministic and
 * explainable; embeddings can be added later without changing callers.
 */

/** A stored lesson with what is needed to rank it. */
export interface LessonCandidate {
  lesson: Lesson;
  signature: string;
  kind: string;
  /** Features of the incident that produced the lesson (see incidentFeatures). */
  features: readonly string[];
  /** When it was learned (ISO); newer lessons reflect the cluster as it is now. */
  at: string;
}

export interface LessonQuery {
  signature: string;
  kind: string;
  features?: readonly string[];
  now?: Date;
  limit?: number;
}

const MAX_FEATURES = 48;
const STOPWORDS = new Set(
  'the and for with from that this was were are has have had not but you your its into onto out off per via pod pods container containers back failed failing error errors warning normal'.split(
    ' ',
  ),
);

/** Repository of an image without registry host and tag: `ghcr.io/acme/api:1.2` → `acme/api`. */
function imageRepository(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const lastSlash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  const noTag = colon > lastSlash ? noDigest.slice(0, colon) : noDigest;
  const parts = noTag.split('/');
  // A first part with a dot or port is a registry host, not part of the repository's identity.
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0] ?? '')) parts.shift();
  return parts.join('/');
}

/**
 * Features that describe an incident independently of which workload it hit:
 * words of reason/message/events/notes (workload, pod and namespace names
 * removed, so that the same failure on another Deployment still matches),
 * image repositories and tags, termination reasons and exit codes.
 */
export function incidentFeatures(incident: Incident): string[] {
  const features = new Set<string>();
  const names = new Set(
    [incident.namespace, incident.target.name, ...incident.pods, incident.cluster].map((n) => n.toLowerCase()),
  );
  features.add(`kind:${incident.kind.toLowerCase()}`);
  features.add(`sub:${incident.subReason.toLowerCase()}`);
  for (const c of incident.evidence.containers) {
    if (c.image) {
      features.add(`image:${imageRepository(c.image).toLowerCase()}`);
      const tag = /:([^:/@]+)$/.exec(c.image)?.[1];
      if (tag) features.add(`tag:${tag.toLowerCase()}`);
    }
    if (c.lastExitCode !== undefined) features.add(`exit:${c.lastExitCode}`);
    if (c.lastTerminationReason) features.add(`term:${c.lastTerminationReason.toLowerCase()}`);
    if (c.reason) features.add(`reason:${c.reason.toLowerCase()}`);
  }
  const text = [
    incident.reason,
    incident.message,
    ...incident.evidence.events.flatMap((e) => [e.reason ?? '', e.message ?? '']),
    ...incident.evidence.notes,
  ].join(' ');
  for (const word of words(text)) {
    if (features.size >= MAX_FEATURES) break;
    if (!names.has(word) && ![...names].some((n) => n.length > 3 && word.includes(n))) features.add(`w:${word}`);
  }
  return [...features].slice(0, MAX_FEATURES);
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9_.-]+/)
    .map((w) => w.replace(/^[.-]+|[.-]+$/g, ''))
    .filter((w) => w.length >= 3 && w.length <= 40 && !STOPWORDS.has(w))
    // Hashes, uids and pure numbers identify one object, not a kind of failure.
    .filter(
      (w) =>
        /^v?[0-9]+(\.[0-9]+)+$/.test(w) ||
        (!/^[0-9]+$/.test(w) && !/^[0-9a-f]{8,}$/.test(w) && !(/[a-z]/.test(w) && (w.match(/[0-9]/g) ?? []).length >= 3)),
    );
}

/** |a ∩ b| / |a ∪ b|; 0 when both are empty. */
export function featureOverlap(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  const left = new Set(a);
  const right = new Set(b);
  let shared = 0;
  for (const f of left) if (right.has(f)) shared += 1;
  return shared / (left.size + right.size - shared);
}

const DAY_MS = 86_400_000;
// Weights: a same-signature lesson always outranks a merely same-kind one
// (100 > 40 + 30 + 10 + 5); within a tier, overlap, recency and success order.
const W = { signature: 100, kind: 40, overlap: 30, recency: 10, success: 5, halfLifeDays: 14 } as const;

/** Score of one candidate for the query; higher is more useful. Exposed for tests and `why` texts. */
export function lessonScore(query: LessonQuery, candidate: LessonCandidate): number {
  const now = (query.now ?? new Date()).getTime();
  const at = Date.parse(candidate.at);
  const ageDays = Number.isFinite(at) ? Math.max(0, now - at) / DAY_MS : Number.POSITIVE_INFINITY;
  const recency = Number.isFinite(ageDays) ? Math.pow(0.5, ageDays / W.halfLifeDays) : 0;
  const sameSignature = candidate.signature === query.signature || candidate.lesson.signature === query.signature;
  const sameKind = candidate.kind === query.kind;
  return (
    (sameSignature ? W.signature : 0) +
    (sameKind ? W.kind : 0) +
    W.overlap * featureOverlap(query.features ?? [], candidate.features) +
    W.recency * recency +
    (candidate.lesson.outcome === 'success' ? W.success : 0)
  );
}

/**
 * Lessons for an incident, best first, each with its `score`: same
 * signature > same kind; then feature overlap, recency, successes first.
 * Candidates of another kind are dropped; the same text is kept once.
 */
export function rankLessons(query: LessonQuery, candidates: readonly LessonCandidate[]): Lesson[] {
  const limit = Math.max(0, Math.min(query.limit ?? 5, 50));
  const scored = candidates
    .filter((c) => c.kind === query.kind || c.signature === query.signature)
    .map((c) => ({ c, score: lessonScore(query, c) }))
    .sort((a, b) => b.score - a.score || b.c.at.localeCompare(a.c.at));
  const seen = new Set<string>();
  const out: Lesson[] = [];
  for (const { c, score } of scored) {
    const key = c.lesson.text.trim().toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...c.lesson, score: Math.round(score * 1000) / 1000 });
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Lessons as the reasoner should weigh them when proposing: a failure lesson
 * about a seeded or learned strategy (`notReasoner`) keeps its text and
 * outcome but loses its action tag, because it is about that strategy (say, a
 * ×1.5 HPA raise) and not about every use of the action (the reasoner's
 * metric-sized raise). Failures of the reasoner's own strategies, and lessons
 * without a strategy (written before lessons named one), are unchanged.
 */
export function lessonsForProposal(lessons: readonly Lesson[], notReasoner: ReadonlySet<string>): Lesson[] {
  return lessons.map((l) => {
    if (l.outcome !== 'failure' || l.strategyId === undefined || !notReasoner.has(l.strategyId) || l.action === undefined) return l;
    const { action, ...rest } = l;
    return { ...rest, text: l.text.startsWith(action) ? l.text : `${action}: ${l.text}`.slice(0, 500) };
  });
}

/**
 * Lessons as a bounded plain-text list for a prompt: one line each, control
 * characters and newlines flattened (lesson text may quote cluster output),
 * at most `maxItems` lines and `maxChars` characters in all.
 */
export function renderLessons(lessons: readonly Lesson[], options: { maxItems?: number; maxChars?: number } = {}): string {
  const maxItems = options.maxItems ?? 8;
  const maxChars = options.maxChars ?? 2000;
  if (lessons.length === 0) return '(no lessons yet)';
  const lines: string[] = [];
  let used = 0;
  for (const lesson of lessons.slice(0, maxItems)) {
    const tag = [lesson.outcome ?? 'note', lesson.signature, lesson.action].filter(Boolean).join(', ');
    // eslint-disable-next-line no-control-regex
    const text = lesson.text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
    let line = `- [${tag}] ${text}`;
    if (line.length > 300) line = `${line.slice(0, 299)}…`;
    if (used + line.length + 1 > maxChars) break;
    lines.push(line);
    used += line.length + 1;
  }
  const omitted = lessons.length - lines.length;
  return omitted > 0 ? `${lines.join('\n')}\n(${omitted} more omitted)` : lines.join('\n');
}

/**
 * A resolved episode whose failure came back (app/recurrence): its lessons
 * said the strategy worked, and Analyse would keep retrieving them for the
 * next incident of the signature. Every lesson that credits the decided
 * strategy (a success, or no outcome, about that strategy or — written
 * before lessons named one — about its action) is replaced by one failure
 * lesson that names the strategy (so it rules out that strategy, not every
 * use of its action; see lessonsForProposal) and says why; the others are
 * kept. The reflection's text says it too. The episode's `recurredAt` is
 * set to `at`. An escalation, or an episode without a decided strategy,
 * has nothing to take back: only the stamp changes.
 */
export function recurredEpisode(episode: Episode, at: string): Episode {
  const decision = episode.decision;
  if (!decision?.strategyId || decision.action.action === 'escalate') return { ...episode, recurredAt: at };
  const action = decision.action.action;
  const minutes = Math.max(0, Math.round((Date.parse(at) - Date.parse(episode.endedAt)) / 60_000));
  const credits = (l: Lesson) =>
    (l.outcome ?? 'success') === 'success' && (l.strategyId !== undefined ? l.strategyId === decision.strategyId : (l.action ?? action) === action);
  const kept = (episode.reflection?.lessons ?? []).filter((l) => !credits(l));
  const why = `it resolved the symptom but the incident recurred ${minutes} min later, so it only masked the fault and is not a fix in this context`;
  // A strategy's description may be the reasoner's words about cluster text: kept only sanitised, like every lesson.
  const named = sanitise(describeFor(decision.strategy?.description || decision.strategyId, episode.incident), 160);
  const lesson: Lesson = {
    text: sanitise(`${action} did not fix ${episode.signature} (strategy: ${named}): ${why}`, 500),
    signature: episode.signature,
    episodeId: episode.episodeId,
    outcome: 'failure',
    action,
    strategyId: decision.strategyId,
  };
  const before = episode.reflection;
  const text = sanitise(`${before?.text ?? ''} The incident recurred ${minutes} min after this trial resolved it: ${action} only masked the fault.`.trim(), 2000, 'tail');
  return {
    ...episode,
    recurredAt: at,
    reflection: {
      trial: before?.trial ?? episode.trial,
      usage: before?.usage ?? { inputTokens: 0, outputTokens: 0, costUsd: 0, model: 'deterministic' },
      text,
      lessons: [lesson, ...kept].slice(0, 10),
    },
  };
}
