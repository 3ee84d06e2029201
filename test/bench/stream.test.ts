import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoMemory } from '../../functions/adapters/dynamodb/memory';
import type { Logger } from '../../functions/ports/logger';
import type { IncidentRun } from '../harness/fault-driver';
import { CATALOGUE_DIR, FAMILIES_DIR } from '../sim/faults';
import { episode, strategy } from '../memory/fixtures';
import { useDynamoDbLocal } from '../support/dynamodb';
import { runStreamBench, type StreamBenchReport } from './stream';
import type { StreamIncident } from './stream-metrics';

const db = useDynamoDbLocal();

/** A pass-through HTTP proxy in front of DynamoDB Local that keeps every request body: what the bench touched, seen from outside. */
async function recordingProxy(target: string): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const to = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(`${String(req.headers['x-amz-target'])} ${body.toString('utf8')}`);
      const up = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 500, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy did not listen');
  return { url: `http://127.0.0.1:${address.port}`, bodies, server };
}

/**
 * One tiny stream run (2 streams × 2 incidents, every arm) from families
 * copied outside the repository under another author's name, with a
 * deployment's memory in the same DynamoDB: the outputs, the hygiene of
 * memory, and that the system never sees the ground truth.
 */
describe('stream bench (a tiny run)', () => {
  let dir: string;
  let families: string;
  let result: { report: StreamBenchReport; records: StreamIncident[] };
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  const seen: string[] = [];
  const runs: IncidentRun[] = [];
  const deployment = { tables: { episodes: 'deploy-episodes', strategies: 'deploy-strategies', locks: 'deploy-locks' }, namespace: 'default' };
  let deploymentBefore: unknown[];

  const scanAll = async (table: string) => ((await db.client.send(new ScanCommand({ TableName: table }))).Items ?? []).map((i) => JSON.stringify(i)).sort();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stream-bench-'));
    families = join(dir, 'families');
    await (await import('node:fs/promises')).mkdir(families);
    // Families written outside the repository by someone else (the bench must say who).
    // A latent-cause family (its hidden cause must stay hidden) and a control.
    for (const [from, name] of [[FAMILIES_DIR, 'crashloop-after-release'], [CATALOGUE_DIR, 'no-fault']] as const) {
      await copyFile(join(from, `${name}.yaml`), join(families, `${name}.yaml`));
      const text = await readFile(join(families, `${name}.yaml`), 'utf8');
      await writeFile(join(families, `${name}.yaml`), text.replace(/^authors: .*$/m, 'authors: [outside author]').replace(/^family: .*$/m, ''));
    }
    // A deployment's memory in the same DynamoDB: the bench must neither read nor write it.
    const { createTables } = await import('../../functions/local/dynamodb-local');
    await createTables(db.client, deployment.tables);
    const memory = createDynamoMemory({ client: db.doc, tables: deployment.tables, namespace: deployment.namespace });
    await memory.episodes.put(episode({ episodeId: 'deployed#1', executionId: 'deployed', lessons: [{ text: 'a production lesson', signature: 'x' }] }));
    await memory.strategies.ensure(strategy({ id: 'deployed-strategy' }));
    deploymentBefore = [await scanAll(deployment.tables.episodes), await scanAll(deployment.tables.strategies)];

    proxy = await recordingProxy(db.endpoint);
    const benchTables = await db.freshTables();
    const logger: Logger = {
      debug: (m, a) => seen.push(JSON.stringify([m, a])),
      info: (m, a) => seen.push(JSON.stringify([m, a])),
      warn: (m, a) => seen.push(JSON.stringify([m, a])),
      error: (m, a) => seen.push(JSON.stringify([m, a])),
    };
    result = await runStreamBench({
      familiesDir: families,
      streams: 2,
      length: 2,
      seed: 4,
      dynamoEndpoint: proxy.url,
      tables: benchTables,
      namespacePrefix: 'sb-test',
      out: join(dir, 'out'),
      workers: 0,
      resamples: 200,
      command: 'test',
      logger,
      onVisit: (v) => seen.push(JSON.stringify(v)),
      onRun: (r) => runs.push(r),
    });
    // Every episode and strategy the system stored, as stored.
    seen.push(...(await scanAll(benchTables.episodes)), ...(await scanAll(benchTables.strategies)));
  }, 600_000);

  afterAll(async () => {
    proxy?.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one JSONL line per incident and a complete bench.json with the issue’s fields', async () => {
    const arms = result.report.config.arms;
    const lines = readFileSync(join(dir, 'out', 'incidents.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2 * 2 * arms.length);
    const json = JSON.parse(await readFile(join(dir, 'out', 'bench.json'), 'utf8')) as StreamBenchReport;
    expect(json.complete).toBe(true);
    for (const arm of [...arms, 'oracle'] as const) {
      expect(json.arms[arm]).toMatchObject({ lateFirstTrialSuccess: { n: expect.any(Number) }, successWithinMaxTrials: { n: expect.any(Number) }, regret: { wrongFirstActions: expect.any(Number) }, falseActions: 0 });
    }
    expect(json.comparisons.map((c) => `${c.a}/${c.b}`)).toContain('memory-on/memory-off');
    expect(json.comparisons.every((c) => ['diff', 'ciLow', 'ciHigh', 'pExact'].every((k) => k in c))).toBe(true);
    expect(Object.keys(json.perFamily).sort()).toEqual(['crashloop-after-release', 'no-fault']);
    // Arms are paired: every arm ran the same instances in the same order.
    const order = (arm: string) => result.records.filter((r) => r.arm === arm).map((r) => `${r.stream}:${r.index}:${r.family}:${r.instanceSeed}`).join(',');
    expect(new Set(arms.map(order)).size).toBe(1);
    expect(await readFile(join(dir, 'out', 'report.html'), 'utf8')).toContain('id="learning-curve"');
  });

  it('accepts families from outside the repository and says who wrote them', () => {
    expect(result.report.config.familiesDir).toBe(families);
    expect(result.report.authors).toEqual({ 'outside author': ['crashloop-after-release', 'no-fault'] });
    expect(result.report.families.find((f) => f.name === 'crashloop-after-release')).toMatchObject({ latentChoice: true, causes: ['env-regression', 'dependency-not-ready'] });
  });

  it("never reads or writes a deployment's memory: every request names the bench's tables and namespaces", async () => {
    expect(proxy.bodies.length).toBeGreaterThan(20);
    const touched = proxy.bodies.filter((b) => Object.values(deployment.tables).some((t) => b.includes(`"${t}"`)) || b.includes(`"${deployment.namespace}#`));
    expect(touched).toEqual([]);
    // Every partition key the bench read or wrote (items, keys, key conditions) starts with its own prefix.
    const keys = proxy.bodies.flatMap((b) => [...b.matchAll(/"(?:pk|gsi\dpk|:\w*pk)":\{"S":"([^"#]*)#/g)].map((m) => m[1]!));
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((ns) => !ns.startsWith('sb-test-'))).toEqual([]);
    expect([await scanAll(deployment.tables.episodes), await scanAll(deployment.tables.strategies)]).toEqual(deploymentBefore);
  });

  it('keeps ground truth from the system: no cause or root cause in any state output, log line or stored episode', () => {
    expect(seen.length).toBeGreaterThan(50);
    const truths = new Map(runs.map((r) => [r.groundTruth.cause, r.groundTruth.rootCause]));
    expect(truths.size).toBeGreaterThanOrEqual(2); // the control's and at least one of the family's causes
    const text = seen.join('\n').toLowerCase();
    for (const [cause, rootCause] of truths) {
      expect(text).not.toContain(rootCause.toLowerCase());
      expect(new RegExp(`(^|[^a-z0-9-])${cause}([^a-z0-9-]|$)`).test(text)).toBe(false);
    }
  });
});
