import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../functions/local/dynamodb-local';
import { startSimulatedCluster, type SimulatedCluster } from '../sim';
import { FAULTS } from '../sim/faults';
import { createKubeClient } from '../sim/kube-client';
import * as P from '../alerts/payloads';
import { runCli } from '../support/cli';


/** No kubeconfig unless a case gives one: refusals must come before any cluster is read. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env: { KUBECONFIG: '/nonexistent/kubeconfig', ...env } });

/** `eks-reflexion alert`: the webhook's code path on one payload, as a separate process. */
describe('eks-reflexion alert', () => {
  let dir: string;
  let secretsFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'alert-cli-'));
    secretsFile = join(dir, 'secrets.json');
    await writeFile(secretsFile, JSON.stringify(P.SECRETS));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Refusals happen before any kubeconfig is read: KUBECONFIG points nowhere in all of these.
  it.each([
    // Not JSON.
    { name: 'bad.json', body: '{"version": "4", ', args: [] as string[], code: 'INVALID_PAYLOAD', message: /not JSON/ },
    // Alertmanager shape with a missing field, named.
    { name: 'am-missing.json', body: JSON.stringify({ ...P.alertmanager({ namespace: 'shop', deployment: 'web' }), alerts: [{ status: 'firing', labels: {} }] }), args: ['--source', 'alertmanager', '--no-verify'], code: 'INVALID_PAYLOAD', message: /alerts\.0\.fingerprint/ },
    // PagerDuty with a signature made with another secret.
    { name: 'pd.json', body: JSON.stringify(P.pagerduty({ namespace: 'shop', deployment: 'web' })), args: ['--header', `X-PagerDuty-Signature: v1=${'0'.repeat(64)}`], code: 'UNAUTHORIZED', message: /does not match/ },
    // Nothing recognisable.
    { name: 'other.json', body: '{"hello": "world"}', args: [], code: 'UNKNOWN_SOURCE', message: /could not tell/ },
  ])('$name → ok:false $code, exit 1, offline', async ({ name, body, args, code, message }) => {
    const file = join(dir, name);
    await writeFile(file, body);
    const out = await cli(['alert', file, '--secrets', secretsFile, ...args]);
    expect(out.code, out.stderr).toBe(1);
    const answer = JSON.parse(out.stdout) as { ok: boolean; error: { code: string; message: string } };
    expect(answer).toMatchObject({ ok: false, error: { code } });
    expect(answer.error.message).toMatch(message);
  });

  it('an unknown --source is a usage error', async () => {
    const out = await cli(['alert', '-', '--source', 'zabbix']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--source 'zabbix'/);
  });

  describe('against the simulator', () => {
    let sim: SimulatedCluster;
    let dynamo: DynamoDbLocal;
    let kubeconfig: string;
    const instance = FAULTS['bad-image-tag']!.instantiate(31);
    beforeAll(async () => {
      [sim, dynamo] = await Promise.all([startSimulatedCluster({ seed: 31 }), startDynamoDbLocal()]);
      kubeconfig = join(dir, 'kubeconfig');
      await sim.writeKubeconfig(kubeconfig);
      const kube = createKubeClient({ url: sim.url, token: sim.token, caPem: sim.caPem });
      await instance.setup(kube);
      await sim.advance(90);
      await instance.inject(kube);
      await sim.advance(90);
      kube.close();
    }, 120_000);
    afterAll(async () => {
      await sim?.stop();
      await dynamo?.stop();
    });

    it('a signed PagerDuty delivery about the failing rollout starts one remediation (observe mode: planned, nothing written)', async () => {
      const raw = JSON.stringify(P.pagerduty({ namespace: instance.namespace, deployment: instance.workload.name }));
      const file = join(dir, 'pd-good.json');
      await writeFile(file, raw);
      const signature = `v1=${createHmac('sha256', P.SECRETS.pagerduty).update(raw).digest('hex')}`;
      const out = await cli(
        ['alert', file, '--kubeconfig', kubeconfig, '--cluster-name', 'sim', '--mode', 'observe', '--dynamodb-endpoint', dynamo.endpoint, '--header', `X-PagerDuty-Signature: ${signature}`],
        { [`EKS_REFLEXION_ALERT_SECRETS`]: JSON.stringify({ pagerduty: P.SECRETS.pagerduty }) },
      );
      expect(out.code, out.stderr).toBe(0);
      const answer = JSON.parse(out.stdout) as { ok: boolean; source: string; incidents: { started: boolean; signature: string; outcome?: string }[]; ignored: unknown[] };
      expect(answer.ok).toBe(true);
      expect(answer.source).toBe('pagerduty');
      expect(answer.ignored).toEqual([]);
      expect(answer.incidents).toHaveLength(1);
      expect(answer.incidents[0]).toMatchObject({ started: true, signature: 'ImagePullBackOff:tag-not-found' });
      expect(answer.incidents[0]?.outcome).toBeDefined();
    }, 180_000);
  });
});
