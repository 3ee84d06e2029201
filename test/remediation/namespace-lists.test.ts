import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvSchemas } from '../../functions/config/env';
import { PolicyConfigSchema } from '../../functions/domain/policy-config';
import { stackPropsFromContext } from '../../lib/app-context';

/**
 * #10 item 10: the opt-in and protected namespace lists cannot widen access.
 * The same rule must hold wherever a policy comes from: the stack's context,
 * the Lambda environment, the CLI.
 */

type Case = [why: string, lists: { optInNamespaces?: string[]; protectedNamespaces?: string[] }, field: string];
const REFUSED: Case[] = [
  // EKS access scopes treat `*` as a literal name, our lists compare literally: a wildcard means something different to each.
  ['a bare wildcard in opt-in', { optInNamespaces: ['*'] }, 'optInNamespaces.0'],
  ['a prefix pattern in opt-in', { optInNamespaces: ['shop', 'team-*'] }, 'optInNamespaces.1'],
  ['a wildcard in protected', { protectedNamespaces: ['pay*'] }, 'protectedNamespaces.0'],
  // Upper case and dots are object-name characters, never namespace ones: a typo that would protect nothing.
  ['an upper-case name', { protectedNamespaces: ['Payments'] }, 'protectedNamespaces.0'],
  ['an empty name', { optInNamespaces: [''] }, 'optInNamespaces.0'],
  ['a name longer than 63 characters', { optInNamespaces: ['a'.repeat(64)] }, 'optInNamespaces.0'],
  // Opting in a protected namespace reads as permission while the policy refuses it: a contradiction to reject.
  ['an always-protected namespace opted in', { optInNamespaces: ['shop', 'kube-system'] }, 'optInNamespaces.1'],
  ['a configured protected namespace opted in', { optInNamespaces: ['payments'], protectedNamespaces: ['payments'] }, 'optInNamespaces.0'],
];

describe('namespace lists in the policy schema', () => {
  it.each(REFUSED)('refuses %s, naming the field', (_why, lists, field) => {
    const parsed = PolicyConfigSchema.safeParse(lists);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('accepts plain namespace names', () => {
    expect(PolicyConfigSchema.parse({ optInNamespaces: ['shop', 'web-2'], protectedNamespaces: ['payments'] })).toMatchObject({ optInNamespaces: ['shop', 'web-2'] });
  });

  it.each(REFUSED)('the Lambda environment refuses %s', (_why, lists) => {
    const env = { MEMORY_NAMESPACE: 'default', CLUSTER_NAMES: '["prod"]', LOCKS_TABLE: 'locks', POLICY: JSON.stringify(lists) };
    expect(EnvSchemas.lock.safeParse(env).success).toBe(false);
  });

  // The context reader drops empty list items (`a,,b`), so only the non-empty cases reach the policy there.
  it.each(REFUSED.filter(([why]) => why !== 'an empty name'))('the stack context refuses %s, naming the context key', (_why, lists, field) => {
    const context: Record<string, unknown> = { clusterNames: 'prod', ...lists };
    expect(() => stackPropsFromContext((key) => context[key])).toThrow(field.split('.')[0]!);
  });
});

describe('namespace lists on the command line', () => {
  const run = promisify(execFile);
  const CLI = resolve(__dirname, '../../bin/eks-reflexion.mjs');
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ns-lists-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('invoke --policy with a wildcard opt-in exits 2 naming the field, before reading any cluster', async () => {
    await writeFile(join(dir, 'policy.json'), JSON.stringify({ optInNamespaces: ['*'] }));
    await writeFile(join(dir, 'payload.json'), JSON.stringify({ action: 'cluster_metrics', cluster_name: 'sim' }));
    const result = await run(process.execPath, [CLI, 'invoke', join(dir, 'payload.json'), '--policy', join(dir, 'policy.json'), '--kubeconfig', join(dir, 'missing')]).then(
      () => ({ code: 0, err: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, err: e.stderr }),
    );
    expect(result.code).toBe(2);
    expect(result.err).toContain('optInNamespaces.0');
  });
});
