import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { IncidentRun } from '../harness/fault-driver';
import { learningCurve, renderReport } from '../harness/report';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// CI installs Chromium (.ci/run): there, its absence is a failure, not a skip.
const available = existsSync(CHROMIUM) || process.env['CI'] === 'true';
if (!available) console.log(`report test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

function run(fault: string, seed: number, firstTrialSuccess: boolean, ttr: number): IncidentRun {
  return {
    fault, seed, memoryNamespace: 'x', expectedFixable: true,
    groundTruth: { cause: fault, rootCause: 'a bad tag', fixable: true, acceptableRemedies: ['rollback_deployment'], maskingRemedies: [] }, detected: true, signature: 'ImagePullBackOff:tag-not-found',
    timeToDetectSeconds: 60, outcome: 'resolved', trials: firstTrialSuccess ? 1 : 2, firstTrialSuccess, resolved: true,
    oracleFixed: true, oracle: { healthyOverWindow: true, windowSeconds: 60, collateral: [], masked: [], success: true }, disagreement: false, timeToRecoverSeconds: ttr, workflowWallMs: 100, transitions: 12, lambdaInvocations: 7, writes: 1,
    falseActions: 0, regression: false, dynamoRequests: 20, inputTokens: 0, outputTokens: 0, costUsd: 0,
    trialsDetail: [{ trial: 1, action: 'rollback_deployment', mode: 'exploit', why: 'because <script>alert(1)</script>', outcome: 'resolved', reflection: 'it worked', candidates: [], lessonsUsed: 0, durationSeconds: 40 }],
    executions: ['e1'],
  };
}

describe('HTML report', () => {
  it('computes the running first-trial success rate over fixable incidents', () => {
    // Why: the chart's only claim is this curve; a wrong running mean would misreport learning.
    expect(learningCurve([run('a', 1, false, 90), run('a', 2, true, 40), run('a', 3, true, 40)])).toEqual([0, 0.5, 2 / 3]);
  });

  it.runIf(available)('draws both learning curves in headless Chromium and escapes cluster text', async () => {
    const html = renderReport({
      title: 'test report',
      generatedAt: '2026-01-01T00:00:00Z',
      command: 'test',
      memoryOn: [run('a', 1, false, 90), run('a', 2, true, 40), run('a', 3, true, 35)],
      memoryOff: [run('a', 1, false, 90), run('a', 2, false, 95), run('a', 3, true, 60)],
    });
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const file = join(dir, 'report.html');
    await writeFile(file, html);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`file://${file}`);
      const lines = await page.$$eval('#learning-curve polyline', (els) =>
        els.map((el) => ({ series: el.getAttribute('data-series'), points: (el.getAttribute('points') ?? '').trim().split(/\s+/).length, width: el.getBoundingClientRect().width })),
      );
      expect(lines).toEqual([
        { series: 'memory on', points: 3, width: expect.any(Number) },
        { series: 'memory off', points: 3, width: expect.any(Number) },
      ]);
      expect(lines.every((l) => l.width > 100)).toBe(true);
      expect(await page.locator('#time-to-recover polyline').count()).toBe(2);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
      expect(dialogs).toEqual([]); // the <script> in the decision text stayed text
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
