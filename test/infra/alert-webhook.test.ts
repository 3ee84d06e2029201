import { beforeAll, describe, expect, it } from 'vitest';
import { EnvSchemas } from '../../functions/config/env';
import { stackPropsFromContext } from '../../lib/app-context';
import { ROLE_METADATA_KEY } from '../../lib/reflexion-function';
import { actionsOf, resourcesOf, statementsOfRole, synth, type Synthesized } from './synth';

const fnOf = (s: Synthesized) => {
  const [logicalId, fn] = Object.entries(resourcesOf(s.template, 'AWS::Lambda::Function')).find(([, r]) => r.Metadata?.[ROLE_METADATA_KEY] === 'alerts')!;
  return { logicalId, fn, role: (fn.Properties['Role'] as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0] };
};

describe('alert webhook in the stack', () => {
  let off: Synthesized;
  let on: Synthesized;
  beforeAll(() => {
    off = synth({ clusterNames: ['prod-eks'] });
    on = synth(stackPropsFromContext((k) => ({ clusterNames: 'prod-eks', alertSources: 'alertmanager,pagerduty', alertLabelMapping: '{"alertmanager":{"deployment":["app"]}}' })[k]));
  }, 120_000);

  it('without alertSources: the function exists but has no URL and no secret (nothing can reach it)', () => {
    expect(Object.keys(resourcesOf(off.template, 'AWS::Lambda::Url'))).toHaveLength(0);
    expect(Object.keys(resourcesOf(off.template, 'AWS::SecretsManager::Secret'))).toHaveLength(0);
    expect(JSON.parse(fnOf(off).fn.Properties['Environment'] ? ((fnOf(off).fn.Properties['Environment'] as { Variables: Record<string, string> }).Variables['ALERT_SOURCES'] ?? '[]') : '[]')).toEqual([]);
  });

  it('with alertSources: a Function URL, a generated secret only it may read, and an environment its handler accepts', () => {
    const { fn, role } = fnOf(on);
    const urls = Object.values(resourcesOf(on.template, 'AWS::Lambda::Url'));
    expect(urls).toHaveLength(1);
    expect(urls[0]!.Properties['AuthType']).toBe('NONE');
    expect(Object.keys(resourcesOf(on.template, 'AWS::SecretsManager::Secret'))).toHaveLength(1);
    const env = (fn.Properties['Environment'] as { Variables: Record<string, unknown> }).Variables;
    const asStrings = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : `token-${k}`]));
    const parsed = EnvSchemas.alerts.parse(asStrings);
    expect(parsed.ALERT_SOURCES).toEqual(['alertmanager', 'pagerduty']);
    expect(parsed.ALERT_LABEL_MAPPING).toEqual({ alertmanager: { deployment: ['app'] } });
    expect(parsed.ALERT_SECRET_ARN).toBeDefined();
    const actions = actionsOf(statementsOfRole(on.template, role));
    expect(actions).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue', 'states:StartExecution', 'events:PutEvents']));
    // No other function may read the webhook secret.
    for (const [id, r] of Object.entries(resourcesOf(on.template, 'AWS::Lambda::Function'))) {
      if (r.Metadata?.[ROLE_METADATA_KEY] === 'alerts') continue;
      const other = (r.Properties['Role'] as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      expect(actionsOf(statementsOfRole(on.template, other)), id).not.toContain('secretsmanager:GetSecretValue');
    }
  });

  it('cdk-nag has no unacknowledged finding with the webhook on', () => {
    expect(on.nag.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(',')}`)).toEqual([]);
  });

  it.each([
    // A typo in a source name is named at synth, not discovered when alerts are refused.
    { ctx: { alertSources: 'alertmanger' }, message: /alertSources/ },
    { ctx: { alertLabelMapping: '{"alertmanager":{"deploy":["x"]}}' }, message: /alertLabelMapping/ },
    { ctx: { alertLabelMapping: 'not json' }, message: /alertLabelMapping.*JSON/ },
  ])('bad context $ctx is refused naming the key', ({ ctx, message }) => {
    expect(() => stackPropsFromContext((k) => ({ clusterNames: 'prod-eks', ...ctx })[k as keyof typeof ctx | 'clusterNames'])).toThrow(message);
  });

  it('alertSources=all enables the seven systems', () => {
    expect(stackPropsFromContext((k) => ({ clusterNames: 'a', alertSources: 'all' })[k]).alertSources).toHaveLength(7);
  });
});
