/**
 * Names the functions emit and the stack graphs and alarms on, in one place
 * (lib/observability.ts reads them without loading the Lambda runtime).
 */

export const SERVICE_NAME = 'eks-reflexion';
/** CloudWatch namespace of the custom metrics unless POWERTOOLS_METRICS_NAMESPACE says otherwise. */
export const DEFAULT_METRICS_NAMESPACE = 'EksReflexion';

/**
 * The metrics an SRE graphs, derived from what each step returns (and the
 * state it was given), so no domain code knows about CloudWatch. Dimensions
 * are bounded sets — failure kind, action, outcome — never a pod, workload or
 * execution id (those are in the logs, keyed by executionId).
 */
export const METRIC = {
  incidentsDetected: 'IncidentsDetected',
  podsScanned: 'PodsScanned',
  scanDuration: 'ScanDuration',
  remediations: 'Remediations',
  verificationFailures: 'VerificationFailures',
  resolved: 'IncidentsResolved',
  escalated: 'IncidentsEscalated',
  undone: 'RemediationsUndone',
  trialsPerIncident: 'TrialsPerIncident',
  timeToRecover: 'TimeToRecover',
  reasonerInputTokens: 'ReasonerInputTokens',
  reasonerOutputTokens: 'ReasonerOutputTokens',
  reasonerCost: 'ReasonerCostMicroUsd',
} as const;

