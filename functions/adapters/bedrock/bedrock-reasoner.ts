import { setTimeout as sleep } from 'node:timers/promises';
import { ConverseCommand, type BedrockRuntimeClient, type ContentBlock } from '@aws-sdk/client-bedrock-runtime';
import type { ActionRequest } from '../../domain/actions';
import { ruledOutActions } from '../../domain/deterministic-reasoner';
import { ReasonerError } from '../../domain/errors';
import type { Incident } from '../../domain/incident';
import type { Analysis, Lesson, Reflection, Usage } from '../../domain/model';
import { estimateCostUsd, priceFor, type ModelPrice } from '../../domain/pricing';
import { analysePrompt, proposePrompt, reflectPrompt, type Prompt } from '../../domain/prompt';
import { sanitise } from '../../domain/redact';
import type { Logger } from '../../ports/logger';
import type { Reasoner } from '../../ports/reasoner';

export interface BedrockReasonerOptions {
  client: BedrockRuntimeClient;
  /** Model id, inference profile id or ARN. */
  modelId: string;
  /** Used when the model is unavailable or answers outside its schema (normally the DeterministicReasoner). */
  fallback: Reasoner;
  logger: Logger;
  /** Per attempt. @default 20000 */
  timeoutMs?: number;
  /** Retries after a timeout, throttling or 5xx, with exponential back-off. @default 2 */
  maxRetries?: number;
  /** Overrides the price table (USD per million tokens). @default priceFor(modelId) */
  pricing?: { inputPerMTok: number; outputPerMTok: number };
  /** First back-off delay; doubles per retry, with jitter. @default 250 */
  backoffMs?: number;
}

/** Tokens spent by the calls of one reasoner operation (including rejected answers). */
interface Tokens {
  inputTokens: number;
  outputTokens: number;
}

type CallOutcome<T> = { ok: true; value: T; tokens: Tokens } | { ok: false; reason: string; tokens: Tokens };

// Errors after which the same request may succeed later.
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'ModelNotReadyException',
  'InternalServerException',
  'ModelTimeoutException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * The Bedrock Converse reasoner. Structured output only through a forced tool
 * call whose input is validated by the zod schema of the answer; a proposal
 * must additionally act on the incident's own workload and must not repeat an
 * action a lesson marks as failed. Anything else (no tool call, wrong tool,
 * invalid JSON, unknown action, out-of-bounds parameters, timeouts and
 * throttling after retries, access errors) is logged with the reason and
 * replaced by the fallback reasoner's answer, marked "fallback: …", with the
 * tokens of the failed calls still counted.
 */
export class BedrockReasoner implements Reasoner {
  readonly name: string;
  private readonly client: BedrockRuntimeClient;
  private readonly modelId: string;
  private readonly fallback: Reasoner;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly price: ModelPrice;
  private readonly backoffMs: number;
  /** Set once the model has rejected toolChoice.tool (e.g. models without forced tool use). */
  private noForcedToolChoice = false;

  constructor(options: BedrockReasonerOptions) {
    if (!options.modelId || options.modelId.trim() === '') throw new ReasonerError('BedrockReasoner needs a modelId');
    this.client = options.client;
    this.modelId = options.modelId;
    this.fallback = options.fallback;
    this.logger = options.logger;
    this.timeoutMs = positiveInt(options.timeoutMs, 20_000, 'timeoutMs');
    this.maxRetries = nonNegativeInt(options.maxRetries, 2, 'maxRetries');
    this.backoffMs = nonNegativeInt(options.backoffMs, 250, 'backoffMs');
    this.price = options.pricing ?? priceFor(options.modelId);
    this.name = `bedrock:${options.modelId}`;
  }

  async analyse(input: { incident: Incident; lessons: Lesson[] }): Promise<Analysis> {
    const call = await this.converse(analysePrompt(input), 'analyse');
    if (call.ok) {
      return {
        summary: call.value.summary,
        hypotheses: call.value.hypotheses,
        ...(call.value.subReason ? { subReason: call.value.subReason } : {}),
        usage: this.usage(call.tokens),
      };
    }
    const fb = await this.fallback.analyse(input);
    return {
      ...fb,
      summary: `fallback: ${call.reason}. ${fb.summary}`.slice(0, 4000),
      usage: this.usage(call.tokens, fb.usage),
    };
  }

  async propose(input: Parameters<Reasoner['propose']>[0]): ReturnType<Reasoner['propose']> {
    const call = await this.converse(proposePrompt(input), 'propose');
    let reason: string;
    if (call.ok) {
      const refusal = outOfScope(call.value.action, input.incident) ?? this.repeatsFailure(call.value.action, input);
      if (!refusal) {
        return { action: tidy(call.value.action), rationale: sanitise(call.value.rationale, 2000), usage: this.usage(call.tokens) };
      }
      reason = refusal;
      this.logger.warn('model proposal rejected', { op: 'propose', modelId: this.modelId, reason });
    } else {
      reason = call.reason;
    }
    const fb = await this.fallback.propose(input);
    if (!fb) {
      this.logger.warn('fallback reasoner has no proposal', { op: 'propose', reason });
      return undefined;
    }
    return {
      action: fb.action,
      rationale: `fallback: ${reason}; ${fb.rationale}`.slice(0, 2000),
      usage: this.usage(call.tokens, fb.usage),
    };
  }

  async reflect(input: Parameters<Reasoner['reflect']>[0]): Promise<Reflection> {
    const call = await this.converse(reflectPrompt(input), 'reflect');
    if (call.ok) {
      // Outcomes are facts from the structured result, never the model's claim;
      // a lesson about another action than the one tried has no outcome.
      const fact = input.outcome === 'resolved' ? 'success' : input.outcome === 'failed' || input.outcome === 'error' ? 'failure' : undefined;
      const lessons: Lesson[] = call.value.lessons.map((l) => {
        const action = l.action ?? input.action.action;
        return {
          text: l.text,
          signature: input.incident.signature,
          action,
          ...(action === input.action.action && fact ? { outcome: fact } : {}),
        };
      });
      return { trial: input.trial, text: call.value.text, lessons, usage: this.usage(call.tokens) };
    }
    const fb = await this.fallback.reflect(input);
    return { ...fb, text: `fallback: ${call.reason}. ${fb.text}`.slice(0, 2000), usage: this.usage(call.tokens, fb.usage) };
  }

  // ------------------------------------------------------------------ internals

  private usage(tokens: Tokens, extra?: Usage): Usage {
    const inputTokens = tokens.inputTokens + (extra?.inputTokens ?? 0);
    const outputTokens = tokens.outputTokens + (extra?.outputTokens ?? 0);
    const spent = tokens.inputTokens + tokens.outputTokens > 0;
    return {
      inputTokens,
      outputTokens,
      costUsd: estimateCostUsd(tokens, this.price) + (extra?.costUsd ?? 0),
      model: spent || !extra ? this.modelId : extra.model,
    };
  }

  private repeatsFailure(action: ActionRequest, input: Parameters<Reasoner['propose']>[0]): string | undefined {
    const signatures = [input.incident.signature];
    if (input.analysis.subReason) signatures.push(`${input.incident.kind}:${input.analysis.subReason}`);
    const ruledOut = ruledOutActions(signatures, [...input.lessons, ...input.previousReflections.flatMap((r) => r.lessons)]);
    return ruledOut.has(action.action) ? `model proposed ${action.action}, which a lesson says failed for this signature` : undefined;
  }

  /** One Converse exchange with retries; the answer validated by the prompt's tool schema. */
  private async converse<T>(prompt: Prompt<T>, op: string): Promise<CallOutcome<T>> {
    const tokens: Tokens = { inputTokens: 0, outputTokens: 0 };
    const command = (forceTool: boolean) => new ConverseCommand({
      modelId: this.modelId,
      system: [{ text: prompt.system }],
      messages: [{ role: 'user', content: [{ text: prompt.user }] }],
      inferenceConfig: { temperature: prompt.temperature, maxTokens: prompt.maxTokens },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: prompt.tool.name,
              description: prompt.tool.description,
              inputSchema: { json: prompt.tool.inputSchema as never },
            },
          },
        ],
        // Models without forced tool choice still get the tool offered and the prompt names it.
        ...(forceTool ? { toolChoice: { tool: { name: prompt.tool.name } } } : {}),
      },
    });
    let forceTool = !this.noForcedToolChoice;

    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      let response;
      try {
        response = await this.client.send(command(forceTool), { abortSignal: controller.signal });
      } catch (err) {
        const timedOut = controller.signal.aborted;
        const name = timedOut ? 'Timeout' : errorName(err);
        if (forceTool && name === 'ValidationException' && /tool\s*_?choice/i.test(errorMessage(err))) {
          // This model rejects toolChoice.tool: remember it and ask again once without it (not a retry of the same request).
          this.logger.info('model does not support forced tool choice; asking without it', { op, modelId: this.modelId });
          this.noForcedToolChoice = true;
          forceTool = false;
          attempt--;
          continue;
        }
        const retryable = timedOut || RETRYABLE_NAMES.has(name) || statusOf(err) === 429 || (statusOf(err) ?? 0) >= 500;
        const reason = timedOut ? `model call timed out after ${this.timeoutMs} ms` : `model call failed: ${name}`;
        if (retryable && attempt < this.maxRetries) {
          this.logger.info('model call will be retried', { op, modelId: this.modelId, attempt: attempt + 1, error: name });
          await sleep(this.backoff(attempt));
          continue;
        }
        const final = retryable ? `${reason} (${attempt + 1} attempt${attempt === 0 ? '' : 's'})` : reason;
        this.logger.warn('model call failed; using fallback', { op, modelId: this.modelId, reason: final, error: name });
        return { ok: false, reason: final, tokens };
      } finally {
        clearTimeout(timer);
      }

      tokens.inputTokens += nonNegative(response.usage?.inputTokens);
      tokens.outputTokens += nonNegative(response.usage?.outputTokens);
      const parsed = readToolAnswer(response.output?.message?.content ?? [], prompt);
      if (parsed.ok) {
        this.logger.debug('model answer accepted', { op, modelId: this.modelId, ...tokens });
        return { ok: true, value: parsed.value, tokens };
      }
      // The model answered: the same prompt mostly gets the same answer again, so fall back now.
      this.logger.warn('model answer rejected; using fallback', { op, modelId: this.modelId, reason: parsed.reason, ...tokens });
      return { ok: false, reason: parsed.reason, tokens };
    }
  }

  private backoff(attempt: number): number {
    const ceiling = Math.min(this.backoffMs * 2 ** attempt, 10_000);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

/**
 * Reads the forced tool call. Text-only answers are accepted when the text is
 * exactly one JSON object (some models ignore toolChoice), and still validated.
 */
function readToolAnswer<T>(content: ContentBlock[], prompt: Prompt<T>): { ok: true; value: T } | { ok: false; reason: string } {
  const toolUses = content.flatMap((c) => (c.toolUse ? [c.toolUse] : []));
  let raw: unknown;
  if (toolUses.length > 0) {
    const use = toolUses.find((t) => t.name === prompt.tool.name);
    if (!use) return { ok: false, reason: `model called tool ${clean(String(toolUses[0]?.name))} instead of ${prompt.tool.name}` };
    raw = use.input;
    if (typeof raw === 'string') {
      try {
        raw = JSON.parse(raw);
      } catch {
        return { ok: false, reason: `${prompt.tool.name} input is not valid JSON` };
      }
    }
  } else {
    const text = content.map((c) => c.text ?? '').join('').trim();
    if (!text) return { ok: false, reason: 'model answer has no tool call and no text' };
    try {
      raw = JSON.parse(text);
    } catch {
      return { ok: false, reason: `model answered without calling ${prompt.tool.name}, and its text is not valid JSON` };
    }
  }
  const result = prompt.tool.schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reason: `${prompt.tool.name} input rejected by schema: ${clean(issues)}` };
  }
  return { ok: true, value: result.data };
}

/**
 * A proposal may only act on the incident's own workload: whatever the logs
 * said, the model cannot redirect an action to another namespace or object.
 */
export function outOfScope(action: ActionRequest, incident: Incident): string | undefined {
  if (action.namespace !== undefined && action.namespace !== incident.namespace) {
    return `model proposed ${action.action} in namespace ${action.namespace}, not the incident's namespace ${incident.namespace}`;
  }
  const target = incident.target;
  const deploymentOk = (name: string) => target.kind === 'Deployment' && name === target.name;
  switch (action.action) {
    case 'restart_pod':
      return incident.pods.includes(action.pod) ? undefined : `model proposed restart_pod of ${action.pod}, which is not a pod of this incident`;
    case 'patch_hpa':
      return target.kind === 'HorizontalPodAutoscaler' && action.hpa === target.name
        ? undefined
        : `model proposed patch_hpa of ${action.hpa}, which is not this incident's HPA`;
    case 'escalate':
      return undefined;
    default:
      return deploymentOk(action.deployment)
        ? undefined
        : `model proposed ${action.action} of deployment ${action.deployment}, which is not this incident's workload`;
  }
}

const clean = (text: string): string => sanitise(text, 300);

/**
 * An escalation reason from the model goes to events and notifications:
 * redact it; and a free-form `proposed` object from the model is dropped,
 * because nothing free-form from a model is passed on.
 */
function tidy(action: ActionRequest): ActionRequest {
  if (action.action !== 'escalate') return action;
  const { proposed: _dropped, ...rest } = action;
  return { ...rest, reason: sanitise(rest.reason, 2000) };
}
const nonNegative = (n: number | undefined): number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

function errorName(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { name?: unknown; code?: unknown };
    if (typeof e.code === 'string' && RETRYABLE_NAMES.has(e.code)) return e.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'UnknownError';
}

function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message.slice(0, 500) : '';
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function positiveInt(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new ReasonerError(`BedrockReasoner option ${field} must be a positive integer, got ${value}`);
  return value;
}
function nonNegativeInt(value: number | undefined, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) throw new ReasonerError(`BedrockReasoner option ${field} must be a non-negative integer, got ${value}`);
  return value;
}
