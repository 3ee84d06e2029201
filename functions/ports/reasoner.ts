import type { ActionRequest, ActionResult } from '../domain/actions';
import type { Incident } from '../domain/incident';
import type { Analysis, Lesson, Reflection, Strategy, Usage, Verification } from '../domain/model';

/**
 * The model-backed (Bedrock) or deterministic reasoner. Everything taken from
 * the cluster that reaches a prompt is untrusted text; a proposal is only ever
 * an ActionRequest from the closed catalogue, re-validated by policy.
 */
export interface Reasoner {
  readonly name: string;
  analyse(input: { incident: Incident; lessons: Lesson[] }): Promise<Analysis>;
  /** One proposal from the catalogue, or undefined when it has none. */
  propose(input: {
    incident: Incident;
    analysis: Analysis;
    lessons: Lesson[];
    candidates: Strategy[];
    previousReflections: Reflection[];
  }): Promise<{ action: ActionRequest; rationale: string; usage: Usage } | undefined>;
  reflect(input: {
    incident: Incident;
    trial: number;
    action: ActionRequest;
    result?: ActionResult;
    verification?: Verification;
    undo?: ActionResult;
    outcome: string;
    timeToRecoverSeconds?: number;
  }): Promise<Reflection>;
}
