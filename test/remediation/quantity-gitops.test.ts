import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors';
import { gitOpsManager } from '../../functions/domain/gitops';
import { compareQuantities, parseExactQuantity, quantitiesEqual, withinFactor } from '../../functions/domain/quantity';

describe('parseExactQuantity / compareQuantities', () => {
  it.each([
    // Suffix families must meet exactly: 1Gi is 1024Mi, not 1000Mi.
    ['1Gi', '1024Mi', 0],
    ['1G', '1000M', 0],
    ['1G', '1Gi', -1],
    // Millicores against whole cores, both spellings of one half.
    ['500m', '0.5', 0],
    ['1500m', '1.5', 0],
    ['999m', '1', -1],
    // Exponent form and fractional binary suffixes are legal quantities.
    ['2e3', '2k', 0],
    ['1.5Gi', '1536Mi', 0],
    // Floating point would call these equal (0.1 + 0.2 style error); exact rationals must not.
    ['100000000000000001m', '100000000000000000m', 1],
    ['.5', '500m', 0],
  ])('%s vs %s → %i', (a, b, expected) => {
    expect(compareQuantities(a, b)).toBe(expected);
  });

  it.each([
    // Each of these has been seen in hand-written manifests and must be rejected, not guessed.
    ['1 Gi'],
    ['1gb'],
    ['Gi'],
    [''],
    ['1.2.3'],
    ['1e999'],
  ])('rejects %j with a ValidationError naming it', (text) => {
    expect(() => parseExactQuantity(text)).toThrow(ValidationError);
  });

  it.each([
    // Doubling is the limit of a 2x step; one unit more is not.
    ['256Mi', '512Mi', 2, true],
    ['256Mi', '513Mi', 2, false],
    // Halving is the limit downwards.
    ['512Mi', '256Mi', 2, true],
    ['512Mi', '255Mi', 2, false],
    // Mixed suffixes: 1 core -> 2000m is exactly 2x.
    ['1', '2000m', 2, true],
    // A zero request can only stay zero under a factor bound.
    ['0', '1m', 2, false],
    ['100m', '150m', 1.5, true],
  ])('withinFactor(%s -> %s, %d) = %s', (from, to, factor, expected) => {
    expect(withinFactor(from, to, factor)).toBe(expected);
  });

  it('equality ignores spelling', () => {
    expect(quantitiesEqual('0.25', '250m')).toBe(true);
  });
});

describe('gitOpsManager', () => {
  it.each([
    // Argo CD annotation tracking (default since Argo CD 3.0).
    [{ annotations: { 'argocd.argoproj.io/tracking-id': 'shop:apps/Deployment:web/web' } }, 'argocd'],
    // Argo CD label tracking with app.kubernetes.io/instance plus the tracking annotation.
    [{ labels: { 'app.kubernetes.io/instance': 'shop' }, annotations: { 'argocd.argoproj.io/tracking-id': 'x' } }, 'argocd'],
    // Argo CD custom tracking label.
    [{ labels: { 'argocd.argoproj.io/instance': 'shop' } }, 'argocd'],
    // Flux kustomize-controller and helm-controller labels.
    [{ labels: { 'kustomize.toolkit.fluxcd.io/name': 'apps' } }, 'flux'],
    [{ labels: { 'helm.toolkit.fluxcd.io/name': 'web' } }, 'flux'],
    // Helm alone sets app.kubernetes.io/instance: not GitOps.
    [{ labels: { 'app.kubernetes.io/instance': 'web', 'app.kubernetes.io/managed-by': 'Helm' } }, undefined],
    [{}, undefined],
  ])('%j → %s', (object, tool) => {
    expect(gitOpsManager(object)?.tool).toBe(tool);
  });
});
