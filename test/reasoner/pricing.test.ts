import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_PRICE, MODEL_PRICES, estimateCostUsd, normaliseModelId, priceFor } from '../../functions/domain/pricing';

describe('priceFor', () => {
  it.each([
    // Why: the plain base-model id.
    { id: 'anthropic.claude-3-5-sonnet-20241022-v2:0', input: 3, output: 15 },
    // Why: cross-region inference profiles are priced as the base model.
    { id: 'us.anthropic.claude-3-5-haiku-20241022-v1:0', input: 0.8, output: 4 },
    { id: 'global.anthropic.claude-sonnet-4-20250514-v1:0', input: 3, output: 15 },
    // Why: a more specific key must win over a shorter one (3-5-haiku is not 3-haiku).
    { id: 'anthropic.claude-3-haiku-20240307-v1:0', input: 0.25, output: 1.25 },
    // Why: ARNs of inference profiles are accepted as model ids.
    { id: 'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0', input: 0.06, output: 0.24 },
    // Why: an unknown model must never be under-estimated.
    { id: 'acme.frontier-model-v9', input: DEFAULT_MODEL_PRICE.inputPerMTok, output: DEFAULT_MODEL_PRICE.outputPerMTok },
  ])('$id', ({ id, input, output }) => {
    expect(priceFor(id)).toEqual({ inputPerMTok: input, outputPerMTok: output });
  });

  it('the default is at least the most expensive known price', () => {
    for (const [, price] of MODEL_PRICES) {
      expect(DEFAULT_MODEL_PRICE.inputPerMTok).toBeGreaterThanOrEqual(price.inputPerMTok);
      expect(DEFAULT_MODEL_PRICE.outputPerMTok).toBeGreaterThanOrEqual(price.outputPerMTok);
    }
  });

  it('normalises ARNs and profile prefixes', () => {
    expect(normaliseModelId('arn:aws:bedrock:us-east-1::foundation-model/Anthropic.Claude-3-Haiku')).toBe('anthropic.claude-3-haiku');
  });
});

describe('estimateCostUsd', () => {
  it.each([
    { tokens: { inputTokens: 1_000_000, outputTokens: 0 }, usd: 3 },
    { tokens: { inputTokens: 2000, outputTokens: 500 }, usd: 0.0135 },
    { tokens: { inputTokens: 0, outputTokens: 0 }, usd: 0 },
  ])('$tokens → $usd', ({ tokens, usd }) => {
    expect(estimateCostUsd(tokens, { inputPerMTok: 3, outputPerMTok: 15 })).toBeCloseTo(usd, 9);
  });
});
