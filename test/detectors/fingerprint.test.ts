import { describe, expect, it } from 'vitest';
import { fingerprint, kebab, signatureOf, type FingerprintParts } from '../../functions/domain/fingerprint';

const base: FingerprintParts = {
  cluster: 'prod-eks',
  namespace: 'shop',
  targetKind: 'Deployment',
  targetName: 'checkout',
  kind: 'ImagePullBackOff',
  subReason: 'tag-not-found',
};

describe('fingerprint', () => {
  it('is a 32-char hex digest and deterministic', () => {
    expect(fingerprint(base)).toMatch(/^[a-f0-9]{32}$/);
    expect(fingerprint({ ...base })).toBe(fingerprint(base));
  });

  // Each identifying part must change the fingerprint, or two different failures would be deduplicated.
  const changes: { why: string; change: Partial<FingerprintParts> }[] = [
    { why: 'another cluster', change: { cluster: 'stage-eks' } },
    { why: 'another namespace', change: { namespace: 'shop-canary' } },
    { why: 'another target kind', change: { targetKind: 'StatefulSet' } },
    { why: 'another workload', change: { targetName: 'cart' } },
    { why: 'another failure kind', change: { kind: 'CrashLoopBackOff' } },
    { why: 'another sub-reason', change: { subReason: 'auth' } },
    // Field boundaries matter: "shop"+"x-checkout" must not equal "shopx"+"-checkout".
    { why: 'shifted field boundary', change: { namespace: 'shopx', targetName: 'heckout' } },
  ];
  it.each(changes)('changes with $why', ({ change }) => {
    expect(fingerprint({ ...base, ...change })).not.toBe(fingerprint(base));
  });

  it('treats sub-reason spelling variants as the same sub-reason', () => {
    // The detector and a refined analysis may spell it differently; dedup must not split.
    expect(fingerprint({ ...base, subReason: 'Tag Not Found' })).toBe(fingerprint(base));
  });
});

describe('signatureOf', () => {
  const cases: { kind: string; sub: string; want: string }[] = [
    { kind: 'ImagePullBackOff', sub: 'tag-not-found', want: 'ImagePullBackOff:tag-not-found' },
    // Kebab-cased from other spellings.
    { kind: 'CreateContainerConfigError', sub: 'missingSecret', want: 'CreateContainerConfigError:missing-secret' },
    { kind: 'CrashLoopBackOff', sub: 'exit_137', want: 'CrashLoopBackOff:exit-137' },
    // Empty sub-reason never produces a dangling colon.
    { kind: 'PodFailed', sub: '  ', want: 'PodFailed:unknown' },
  ];
  it.each(cases)('$kind + $sub → $want', ({ kind, sub, want }) => {
    expect(signatureOf(kind, sub)).toBe(want);
  });

  it('kebab leaves already-kebab text alone', () => {
    expect(kebab('registry-unreachable')).toBe('registry-unreachable');
  });
});
