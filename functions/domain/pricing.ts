/**
 * Estimated Bedrock on-demand prices, USD per million tokens. These are
 * ESTIMATES copied from public list prices (us-east-1, on-demand, standard
 * tier) and will drift: they exist so that cost per incident can be compared
 * between runs, not to reconcile a bill. Cross-region inference profiles
 * (`us.`, `eu.`, `global.` …) are priced as the base model.
 *
 * An unknown model is priced at the most expensive entry, so a cost figure
 * is never an under-estimate.
 */

export interface ModelPrice {
  inputPerMTok: number;
  outputPerMTok: number;
}

/** Matched by substring of the normalised model id; first match wins, so more specific keys come first. */
export const MODEL_PRICES: readonly (readonly [key: string, price: ModelPrice])[] = [
  ['anthropic.claude-opus-4', { inputPerMTok: 15, outputPerMTok: 75 }],
  ['anthropic.claude-3-opus', { inputPerMTok: 15, outputPerMTok: 75 }],
  ['anthropic.claude-sonnet-4', { inputPerMTok: 3, outputPerMTok: 15 }],
  ['anthropic.claude-3-7-sonnet', { inputPerMTok: 3, outputPerMTok: 15 }],
  ['anthropic.claude-3-5-sonnet', { inputPerMTok: 3, outputPerMTok: 15 }],
  ['anthropic.claude-haiku-4-5', { inputPerMTok: 1, outputPerMTok: 5 }],
  ['anthropic.claude-3-5-haiku', { inputPerMTok: 0.8, outputPerMTok: 4 }],
  ['anthropic.claude-3-haiku', { inputPerMTok: 0.25, outputPerMTok: 1.25 }],
  ['amazon.nova-premier', { inputPerMTok: 2.5, outputPerMTok: 12.5 }],
  ['amazon.nova-pro', { inputPerMTok: 0.8, outputPerMTok: 3.2 }],
  ['amazon.nova-lite', { inputPerMTok: 0.06, outputPerMTok: 0.24 }],
  ['amazon.nova-micro', { inputPerMTok: 0.035, outputPerMTok: 0.14 }],
  ['meta.llama3-3-70b', { inputPerMTok: 0.72, outputPerMTok: 0.72 }],
  ['mistral.mistral-large', { inputPerMTok: 2, outputPerMTok: 6 }],
];

/** Conservative default for models not in the table (the most expensive entry). */
export const DEFAULT_MODEL_PRICE: ModelPrice = { inputPerMTok: 15, outputPerMTok: 75 };

/** A cross-region inference profile id: `<geography>.<foundation model id>` (one list for pricing and IAM). */
const INFERENCE_PROFILE = /^(us-gov|us|eu|apac|global|jp|au|ca)\.(.+)$/;

/** The foundation model behind a cross-region inference profile id, or undefined when it is not one. */
export function profileFoundationModel(modelId: string): string | undefined {
  return INFERENCE_PROFILE.exec(modelId)?.[2];
}

/** Strips an ARN prefix and a cross-region inference profile prefix. */
export function normaliseModelId(modelId: string): string {
  const afterArn = (modelId.includes('/') ? modelId.slice(modelId.lastIndexOf('/') + 1) : modelId).toLowerCase();
  return profileFoundationModel(afterArn) ?? afterArn;
}

export function priceFor(modelId: string): ModelPrice {
  const id = normaliseModelId(modelId);
  return MODEL_PRICES.find(([key]) => id.includes(key))?.[1] ?? DEFAULT_MODEL_PRICE;
}

/** Estimated cost in USD, rounded to a micro-dollar. */
export function estimateCostUsd(
  tokens: { inputTokens: number; outputTokens: number },
  price: ModelPrice,
): number {
  const usd = (tokens.inputTokens * price.inputPerMTok + tokens.outputTokens * price.outputPerMTok) / 1_000_000;
  return Math.round(usd * 1e6) / 1e6;
}
