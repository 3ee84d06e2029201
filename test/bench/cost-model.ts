import type { IncidentRun } from '../harness/fault-driver';

/**
 * Public on-demand list prices (us-east-1), used as estimates: Step Functions
 * Standard $0.025 per 1 000 state transitions; Lambda arm64 $0.0000133334 per
 * GB-second and $0.20 per million requests; DynamoDB on-demand $0.625 per
 * million write request units (every request priced as a write: an upper
 * bound); Bedrock tokens as the reasoner recorded them.
 */
export const PRICES = {
  transition: 0.025 / 1000,
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  dynamoRequest: 0.625 / 1e6,
};
export const LAMBDA_MEMORY_GB = 0.5;

export interface CostModel {
  perIncident: {
    transitions: number;
    lambdaInvocations: number;
    lambdaGbSeconds: number;
    dynamoRequests: number;
    bedrockUsd: number;
    totalUsd: number;
  };
  /** The detector runs every minute whatever happens: its monthly floor. */
  detectorMonthly: { invocations: number; usd: number };
  assumptions: string;
}

export function costModel(runs: IncidentRun[], detectWallMs: number): CostModel {
  const detected = runs.filter((r) => r.detected);
  const n = Math.max(1, detected.length);
  const mean = (f: (r: IncidentRun) => number) => detected.reduce((s, r) => s + f(r), 0) / n;
  const transitions = mean((r) => r.transitions);
  const invocations = mean((r) => r.lambdaInvocations);
  // Each invocation is billed at least 1 ms; the local wall time of the whole workflow is spread over its invocations.
  const gbSeconds = (mean((r) => r.workflowWallMs) / 1000) * LAMBDA_MEMORY_GB;
  const dynamo = mean((r) => r.dynamoRequests);
  const bedrock = mean((r) => r.costUsd);
  const total = transitions * PRICES.transition + invocations * PRICES.lambdaRequest + gbSeconds * PRICES.lambdaGbSecond + dynamo * PRICES.dynamoRequest + bedrock;
  const monthlyInvocations = 60 * 24 * 30;
  const detectorUsd = monthlyInvocations * (PRICES.lambdaRequest + (Math.max(1, detectWallMs) / 1000) * LAMBDA_MEMORY_GB * PRICES.lambdaGbSecond);
  return {
    perIncident: {
      transitions,
      lambdaInvocations: invocations,
      lambdaGbSeconds: gbSeconds,
      dynamoRequests: dynamo,
      bedrockUsd: bedrock,
      totalUsd: total,
    },
    detectorMonthly: { invocations: monthlyInvocations, usd: detectorUsd },
    assumptions: `list prices ${JSON.stringify(PRICES)}; ${LAMBDA_MEMORY_GB} GB functions; compute time = this machine's workflow wall time (Lambda's would differ); cluster API time not billed`,
  };
}
