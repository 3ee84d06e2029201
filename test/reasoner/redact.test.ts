import { describe, expect, it } from 'vitest';
import { bound, redactDetailed, sanitise, stripControl, type SecretKind } from '../../functions/domain/redact';

describe('redact removes each kind of secret', () => {
  const cases: { why: string; input: string; secret: string; kind: SecretKind; kept?: string }[] = [
    {
      why: 'HTTP clients log Authorization headers',
      input: 'GET /api Authorization: Bearer 0a1b2c3d4e5f6g7h8i9j',
      secret: '0a1b2c3d4e5f6g7h8i9j',
      kind: 'bearer-token',
      kept: 'Authorization: Bearer [REDACTED:bearer-token]',
    },
    {
      why: 'EKS IAM tokens are presigned STS URLs that grant cluster access',
      input: 'token k8s-aws-v1.aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u',
      secret: 'aHR0cHM6Ly9zdHMuYW1hem9uYXdzLmNvbS8_QWN0aW9u',
      kind: 'bearer-token',
    },
    { why: 'AWS access key ids identify credentials', input: 'using key AKIAIOSFODNN7EXAMPLE for s3', secret: 'AKIAIOSFODNN7EXAMPLE', kind: 'aws-access-key' },
    { why: 'temporary (STS) access key ids too', input: 'ASIAY34FZKBOKMUTVV7A expired', secret: 'ASIAY34FZKBOKMUTVV7A', kind: 'aws-access-key' },
    {
      why: 'a 40-char secret access key printed on its own',
      input: 'aws_creds wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY loaded',
      secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      kind: 'aws-secret-key',
    },
    {
      why: 'JWTs carry identities and are bearer credentials',
      input: 'session=x; jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok',
      secret: 'eyJzdWIiOiIxMjM0NTY3ODkwIn0',
      kind: 'jwt',
    },
    {
      why: 'private keys in a dumped config',
      input: 'cert:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----\ndone',
      secret: 'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn',
      kind: 'private-key',
      kept: 'done',
    },
    {
      why: 'a log tail that cut off the BEGIN line still hides the key body',
      input: 'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfnQk\nAbCdEfGhIjKlMnOpQrStUv\n-----END PRIVATE KEY-----\nnext line',
      secret: 'MIIEowIBAAKCAQEA0Z3VS5JJcds3xfnQk',
      kind: 'private-key',
      kept: 'next line',
    },
    {
      why: 'connection strings embed passwords',
      input: 'dial postgres://app:s3cr3t-Pw@db.shop.svc:5432/orders failed',
      secret: 's3cr3t-Pw',
      kind: 'url-password',
      kept: 'postgres://app:[REDACTED:url-password]@db.shop.svc:5432/orders failed',
    },
    { why: 'key=value passwords in config dumps', input: 'config: password=hunter2 retries=3', secret: 'hunter2', kind: 'password', kept: 'retries=3' },
    { why: 'YAML/JSON style with quotes and a prefixed key', input: '"DB_PASSWORD": "hunter2"', secret: 'hunter2', kind: 'password' },
    { why: 'API keys', input: 'api_key: sk_live_51Habc', secret: 'sk_live_51Habc', kind: 'password' },
    // #10 item 6: token shapes the first version did not know.
    { why: 'Slack bot tokens post as the workspace bot', input: 'slack: posting with xoxb-2048-1234567890-AbCdEfGhIjKlMnOp failed', secret: 'xoxb-2048-1234567890-AbCdEfGhIjKlMnOp', kind: 'slack-token' },
    { why: 'Slack user tokens act as a person', input: 'SLACK xoxp-11-22-33-abcdef123456', secret: 'xoxp-11-22-33-abcdef123456', kind: 'slack-token' },
    { why: 'a Stripe live secret key printed on its own moves money', input: 'charging with sk_live_4eC39HqLyjWDarjtT1zdp7dc', secret: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', kind: 'stripe-key' },
    { why: 'restricted Stripe keys too', input: 'key rk_live_51HxYzAbCdEfGh', secret: 'rk_live_51HxYzAbCdEfGh', kind: 'stripe-key' },
    { why: 'a password said in prose', input: 'INFO the admin password is Tr0ub4dor3 (rotate soon)', secret: 'Tr0ub4dor3', kind: 'password', kept: '(rotate soon)' },
    { why: 'a password said in prose, quoted, past tense', input: 'db passphrase was: "staple-horse-22"', secret: 'staple-horse-22', kind: 'password' },
    { why: 'a soft hyphen inside a key name does not hide the value', input: 'pass\u00adword=hunter2', secret: 'hunter2', kind: 'password' },
    { why: 'e-mail addresses are personal data', input: 'user alice.smith+ops@example.co.uk logged in', secret: 'alice.smith+ops@example.co.uk', kind: 'email' },
  ];

  it.each(cases)('$kind: $why', ({ input, secret, kind, kept }) => {
    // Act
    const { text, counts } = redactDetailed(input);
    // Assert
    expect(text).not.toContain(secret);
    expect(counts[kind]).toBeGreaterThanOrEqual(1);
    if (kept) expect(text).toContain(kept);
  });
});

describe('redact keeps what an operator needs', () => {
  it.each([
    // Why: the image reference is the evidence for a tag-not-found incident.
    'Failed to pull image "registry.example.com/shop/web:1.27": manifest unknown',
    // Why: digests are 64 lower-case hex, not secrets.
    'image@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    // Why: a 40-char git SHA is lower-case hex, unlike an AWS secret key.
    'build 3f786850e387550fdab836ed7e6dc881de23001b deployed',
    // Why: exit codes and reasons drive the decisions.
    'Last state: Terminated, reason OOMKilled, exit code 137',
    // Why: a message that mentions a password without giving one is evidence (missing config).
    'Error: password is required but was not provided',
    // Why: URLs without credentials stay useful.
    'GET https://registry.example.com/v2/shop/web/manifests/1.27 404',
    // Why: long identifiers without digits are not opaque credentials.
    'at OrgSpringframeworkBeansFactoryBeanCreationExceptionHandler',
    // Why: object names with hashes are how pods are found.
    'pod web-7d9f8b6c5-abcde in namespace shop',
  ])('%s', (input) => {
    expect(redactDetailed(input)).toEqual({ text: input, counts: {} });
  });
});

describe('bound and sanitise', () => {
  it('keeps the tail of logs and says how much was cut', () => {
    const log = `${'line of noise\n'.repeat(500)}FATAL: config missing`;
    const out = bound(log, 200, 'tail');
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out.endsWith('FATAL: config missing')).toBe(true);
    expect(out).toMatch(/^\[…\d+ earlier chars cut\] /);
  });

  it('keeps the head of messages', () => {
    const out = bound(`Back-off pulling image ${'x'.repeat(5000)}`, 100, 'head');
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out.startsWith('Back-off pulling image')).toBe(true);
  });

  it('leaves short text alone', () => {
    expect(bound('short', 10)).toBe('short');
  });

  it('redacts a secret in a huge log and bounds the result', () => {
    // Why: redaction must work on the part that is kept even when the input is megabytes long.
    const huge = `${'a'.repeat(1_000_000)} AKIAIOSFODNN7EXAMPLE password=hunter2 the end`;
    const out = sanitise(huge, 500, 'tail');
    expect(out.length).toBeLessThanOrEqual(500);
    expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(out).not.toContain('hunter2');
    expect(out.endsWith('the end')).toBe(true);
  });

  it('does not leave a fragment of a secret split by the pre-cut', () => {
    // Why: a cut through the middle of a key leaves a fragment no pattern recognises; it must be dropped.
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const max = 100;
    const window = max * 2 + 256;
    // A private key after the secret shrinks to a short marker, so the final bound would not cut the fragment away.
    const key = `-----BEGIN PRIVATE KEY-----\n${`${'A'.repeat(64)}\n`.repeat(5)}-----END PRIVATE KEY-----`;
    const after = ` ${key} ${'z'.repeat(window - 20 - key.length - 2)}`;
    const text = `${'x '.repeat(300)}${secret}${after}`;
    expect(text.slice(text.length - window).startsWith(secret.slice(20))).toBe(true);
    const out = sanitise(text, max, 'tail');
    expect(out.length).toBeLessThan(max);
    expect(out).not.toContain(secret.slice(20));
  });

  it('strips terminal escapes and bidi controls that could hide text', () => {
    expect(stripControl('\u001b[31mred\u001b[0m \u202eevil\u202c ok\tline\n')).toBe('red evil ok\tline\n');
  });
});
