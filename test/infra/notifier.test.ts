import { beforeAll, describe, expect, it } from 'vitest';
import { EnvSchemas } from '../../functions/config/env';
import { stackPropsFromContext } from '../../lib/app-context';
import { ROLE_METADATA_KEY } from '../../lib/reflexion-function';
import { actionsOf, resourcesOf, statementsOfRole, synth, thrownValidationError, type Synthesized } from './synth';

/** Escalation out as deployed: the rule on the bus, the notifier function, and exactly the secrets it may read. */
const ARN = {
  pagerduty: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:eks-reflexion/pagerduty-AbCdEf',
  slack: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:eks-reflexion/slack-GhIjKl',
  webhook: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:eks-reflexion/hmac-MnOpQr',
};

const notifierOf = (s: Synthesized) => {
  const found = Object.entries(resourcesOf(s.template, 'AWS::Lambda::Function')).filter(([, r]) => r.Metadata?.[ROLE_METADATA_KEY] === 'notify');
  if (found.length === 0) return undefined;
  const [logicalId, fn] = found[0]!;
  return { logicalId, props: fn.Properties, roleLogicalId: (fn.Properties['Role'] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0] };
};

describe('with every channel and resolutions', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synth({
      clusterNames: ['prod-eks'],
      notify: {
        pagerDuty: { secretArn: ARN.pagerduty, url: 'https://events.eu.pagerduty.com/v2/enqueue' },
        slack: { secretArn: ARN.slack },
        webhook: { url: 'https://hooks.example.com/eks', secretArn: ARN.webhook },
        resolutions: true,
      },
    });
  }, 120_000);

  it('a rule on the project bus sends RemediationEscalated and RemediationResolved to the notifier', () => {
    const notifier = notifierOf(s)!;
    const rules = Object.values(resourcesOf(s.template, 'AWS::Events::Rule'));
    expect(rules).toHaveLength(1);
    const [busId] = Object.keys(resourcesOf(s.template, 'AWS::Events::EventBus'));
    expect(rules[0]!.Properties).toMatchObject({
      EventBusName: { Ref: busId },
      EventPattern: { source: ['eks-reflexion'], 'detail-type': ['RemediationEscalated', 'RemediationResolved'] },
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [notifier.logicalId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 } }],
    });
    // Only EventBridge may invoke it, and only from this rule.
    const permissions = Object.values(resourcesOf(s.template, 'AWS::Lambda::Permission')).filter((p) => JSON.stringify(p.Properties['FunctionName']).includes(notifier.logicalId));
    expect(permissions.map((p) => p.Properties['Principal'])).toEqual(['events.amazonaws.com']);
    expect(JSON.stringify(permissions[0]!.Properties['SourceArn'])).toContain('NotifierRule');
  });

  it('reads exactly the three configured secrets, the locks table, and nothing in any cluster', () => {
    const notifier = notifierOf(s)!;
    const statements = statementsOfRole(s.template, notifier.roleLogicalId);
    const secrets = statements.filter((st) => actionsOf([st]).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.map((st) => st.Action)).toEqual(['secretsmanager:GetSecretValue']);
    expect([secrets[0]!.Resource].flat().sort()).toEqual([ARN.pagerduty, ARN.slack, ARN.webhook].sort());
    expect(actionsOf(statements).some((a) => a.startsWith('eks:') || a.startsWith('states:') || a.startsWith('events:'))).toBe(false);
    const entries = Object.values(resourcesOf(s.template, 'AWS::EKS::AccessEntry'));
    expect(JSON.stringify(entries)).not.toContain(notifier.roleLogicalId);
  });

  it('its environment carries the secrets’ ARNs and the URLs, never a secret value, and passes the handler’s schema', () => {
    const env = (notifierOf(s)!.props['Environment'] as { Variables: Record<string, unknown> }).Variables;
    expect(env).toMatchObject({
      NOTIFY_PAGERDUTY_SECRET_ARN: ARN.pagerduty,
      NOTIFY_PAGERDUTY_URL: 'https://events.eu.pagerduty.com/v2/enqueue',
      NOTIFY_SLACK_SECRET_ARN: ARN.slack,
      NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/eks',
      NOTIFY_WEBHOOK_SECRET_ARN: ARN.webhook,
      NOTIFY_DEDUP_SECONDS: '3600',
    });
    const asStrings = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : `token-${k}`]));
    expect(EnvSchemas.notify.safeParse(asStrings).success).toBe(true);
  });

  it('a failed channel is retried by Lambda’s async retries; cdk-nag stays clean', () => {
    const notifier = notifierOf(s)!;
    const configs = Object.values(resourcesOf(s.template, 'AWS::Lambda::EventInvokeConfig'));
    const mine = configs.find((c) => JSON.stringify(c.Properties['FunctionName']).includes(notifier.logicalId))!;
    expect(mine.Properties).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    expect(s.nag.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('notifier options', () => {
  it('without a channel there is no notifier and no rule', () => {
    const s = synth({ clusterNames: ['prod-eks'] });
    expect(notifierOf(s)).toBeUndefined();
    expect(Object.keys(resourcesOf(s.template, 'AWS::Events::Rule'))).toHaveLength(0);
    expect(JSON.stringify(s.template.toJSON())).not.toContain('secretsmanager:GetSecretValue');
  }, 120_000);

  it('Slack alone: escalations only, GetSecretValue on that one ARN', () => {
    const s = synth({ clusterNames: ['prod-eks'], notify: { slack: { secretArn: ARN.slack } } });
    const rule = Object.values(resourcesOf(s.template, 'AWS::Events::Rule'))[0]!;
    expect(rule.Properties['EventPattern']).toEqual({ source: ['eks-reflexion'], 'detail-type': ['RemediationEscalated'] });
    const secrets = statementsOfRole(s.template, notifierOf(s)!.roleLogicalId).filter((st) => actionsOf([st]).includes('secretsmanager:GetSecretValue'));
    expect(secrets.map((st) => st.Resource)).toEqual([ARN.slack]);
  }, 120_000);
});

describe('notify.* context keys', () => {
  const fromContext = (context: Record<string, unknown>) => stackPropsFromContext((key) => ({ clusterNames: 'prod-eks', ...context })[key]);

  it('read into the notify prop, -c strings or cdk.json values', () => {
    const props = fromContext({
      'notify.pagerduty.secretArn': ARN.pagerduty,
      'notify.slack.secretArn': ARN.slack,
      'notify.webhook.url': 'https://hooks.example.com/eks',
      'notify.webhook.secretArn': ARN.webhook,
      'notify.resolutions': 'true',
      'notify.dedupSeconds': '600',
    });
    expect(props.notify).toEqual({
      pagerDuty: { secretArn: ARN.pagerduty },
      slack: { secretArn: ARN.slack },
      webhook: { url: 'https://hooks.example.com/eks', secretArn: ARN.webhook },
      resolutions: true,
      dedupSeconds: 600,
    });
    expect(fromContext({}).notify).toBeUndefined();
  });

  // Each case is one operator mistake; the error names the key they typed.
  it.each([
    ['a secret name instead of its ARN (IAM needs the ARN)', 'notify.slack.secretArn', { 'notify.slack.secretArn': 'eks-reflexion/slack' }],
    ['a PagerDuty ARN of another service', 'notify.pagerduty.secretArn', { 'notify.pagerduty.secretArn': 'arn:aws:ssm:eu-west-1:123456789012:parameter/pd' }],
    ['a PagerDuty endpoint over http', 'notify.pagerduty.url', { 'notify.pagerduty.secretArn': ARN.pagerduty, 'notify.pagerduty.url': 'http://events.pagerduty.com/v2/enqueue' }],
    ['a PagerDuty endpoint without its routing key', 'notify.pagerduty.url', { 'notify.pagerduty.url': 'https://events.eu.pagerduty.com/v2/enqueue' }],
    ['a webhook URL without its HMAC secret', 'notify.webhook.url', { 'notify.webhook.url': 'https://hooks.example.com/eks' }],
    ['an HMAC secret without a webhook URL', 'notify.webhook.secretArn', { 'notify.webhook.secretArn': ARN.webhook }],
    ['a webhook URL that is not https', 'notify.webhook.url', { 'notify.webhook.url': 'ftp://hooks.example.com', 'notify.webhook.secretArn': ARN.webhook }],
    ['resolutions with no channel', 'notify.resolutions', { 'notify.resolutions': 'true' }],
    ['resolutions that is not a boolean', 'notify.resolutions', { 'notify.slack.secretArn': ARN.slack, 'notify.resolutions': 'yes' }],
    ['a dedup window under a minute', 'notify.dedupSeconds', { 'notify.slack.secretArn': ARN.slack, 'notify.dedupSeconds': '5' }],
  ])('rejects %s, naming %s', (_why, key, context) => {
    const error = thrownValidationError(() => fromContext(context));
    expect(error.field).toBe(key);
    expect(error.message).toMatch(new RegExp(`^context '${key}'`));
  });
});
