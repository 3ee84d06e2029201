import { describe, expect, it } from 'vitest';
import { parseSince } from '../../bin/commands/trust';
import { runCli } from '../support/cli';

describe('eks-reflexion trust', () => {
  // Each bad flag is refused as a usage error (exit 2) naming the flag, before any kubeconfig or memory is opened.
  it.each([
    ['a --since that is no date', ['--since', 'last week'], /--since 'last week'/],
    ['a window under a minute', ['--window', '5'], /--window '5': must be an integer from 60/],
    ['a threshold n of zero', ['--min-n', '0'], /--min-n '0'/],
    ['an agreement bound over 1', ['--min-agreement', '1.5'], /--min-agreement '1.5'/],
  ])('refuses %s', async (_why, args, message) => {
    const r = await runCli(['trust', ...args, '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it.each([
    ['7d', '2026-12-01T00:00:00.000Z'],
    ['12h', '2026-12-07T12:00:00.000Z'],
    ['2026-11-30', '2026-11-30T00:00:00.000Z'],
  ])('--since %s reads as %s (from 2026-12-08T00:00Z)', (text, expected) => {
    expect(parseSince(text, new Date('2026-12-08T00:00:00Z')).toISOString()).toBe(expected);
  });
});
