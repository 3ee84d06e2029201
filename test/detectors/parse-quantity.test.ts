import { describe, expect, it } from 'vitest';
import { quantityAsNumber } from '../../functions/domain/detectors/common';

describe('detectors quantityAsNumber (untrusted values → number)', () => {
  it.each([
    // The forms the API server keeps as written; a miss here made a request count as 0 in the node-fit note.
    { value: '1e9', want: 1e9 },
    { value: '.5', want: 0.5 },
    { value: '100u', want: 0.0001 },
    { value: '500m', want: 0.5 },
    { value: '1Gi', want: 1024 ** 3 },
    { value: 2, want: 2 },
    // Not quantities: undefined, never a guess.
    { value: 'lots', want: undefined },
    { value: null, want: undefined },
    { value: Number.NaN, want: undefined },
  ])('$value → $want', ({ value, want }) => {
    expect(quantityAsNumber(value)).toBe(want);
  });
});
