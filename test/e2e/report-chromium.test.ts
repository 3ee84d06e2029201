import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { StreamBenchReport } from '../bench/stream';
import { summarise, type RunArm, type StreamIncident } from '../bench/stream-metrics';
import { renderStreamReport, smooth } from '../harness/stream-report';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
// CI installs Chromium (.ci/run): there, its absence is a failure, not a skip.
const available = existsSync(CHROMIUM) || process.env['CI'] === 'true';
if (!available) console.log(`report test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

const LENGTH = 6;

/** Two streams of six incidents, memory-on right from position 2 on, memory-off right every other time. */
function records(): StreamIncident[] {
  const out: StreamIncident[] = [];
  for (const arm of ['memory-on', 'memory-off'] as RunArm[]) {
    for (let stream = 0; stream < 2; stream++) {
      for (let index = 0; index < LENGTH; index++) {
        const first = arm === 'memory-on' ? index >= 2 : index % 2 === 0;
        out.push({
          stream, index, family: 'crashloop', instanceSeed: index, decisionSeed: index, shifted: false, arm,
          truth: { cause: 'bad-config', rootCause: 'x', fixable: true, acceptableRemedies: ['rollback_deployment'], maskingRemedies: [] },
          control: false, detected: true, trials: first ? 1 : 2, firstTrialSuccess: first, success: true, escalated: false, writes: 1, falseActions: 0,
          extraSeconds: first ? 0 : 120, wallMs: 5, transitions: 10,
          decisions: [{ trial: 1, action: 'rollback_deployment', mode: 'exploit', outcome: 'resolved', why: 'because <script>alert(1)</script>', lessonsUsed: 0, durationSeconds: 60 }],
        });
      }
    }
  }
  return out;
}

function report(rs: StreamIncident[]): StreamBenchReport {
  const families = [{ name: 'crashloop', authors: ['someone'], causes: ['bad-config', 'missing-secret'], latentChoice: true }];
  return {
    kind: 'stream-bench', command: 'test', startedAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:01:00Z', wallSeconds: 60, complete: true,
    machine: { node: 'v20', cpus: 2, platform: 'linux/x64' },
    config: { familiesDir: '/x', streams: 2, length: LENGTH, seed: 1, shiftAt: 4, lateFrom: 3, arms: ['memory-on', 'memory-off'], workers: 0, resamples: 100, memoryNamespaces: 'sb-*', tables: { episodes: 'e', strategies: 's', locks: 'l' } },
    skippedArms: [], families, authors: { someone: ['crashloop'] }, errors: { count: 0, incidents: [] },
    throughput: { incidentsRun: rs.length, incidentsPlanned: rs.length, wallSeconds: 60, incidentsPerSecond: 0.4, meanIncidentWallMs: 5 },
    ...summarise(rs, families, LENGTH, 4, { resamples: 100 }),
  };
}

describe('stream report', () => {
  it('smooths a curve with a trailing mean that skips positions without incidents', () => {
    // Why: the chart's only claim is this curve; a wrong mean (or a gap read as 0) would misreport learning.
    expect(smooth([0, 1, null, 1], 2)).toEqual([0, 0.5, 1, 1]);
    expect(smooth([null, null], 3)).toEqual([0, 0]);
  });

  it.runIf(available)('draws a learning and a regret curve per arm in headless Chromium and escapes cluster text', async () => {
    const rs = records();
    const html = renderStreamReport(report(rs), rs);
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
      const lines = async (id: string) =>
        page.$$eval(`#${id} polyline`, (els) =>
          els.map((el) => ({ series: el.getAttribute('data-series'), points: (el.getAttribute('points') ?? '').trim().split(/\s+/).length, width: el.getBoundingClientRect().width })),
        );
      const learning = await lines('learning-curve');
      // Both run arms and the oracle (computed from ground truth), one point per position.
      expect(learning.map((l) => [l.series, l.points])).toEqual([['memory-on', LENGTH], ['memory-off', LENGTH], ['oracle', LENGTH]]);
      expect(learning.every((l) => l.width > 100)).toBe(true);
      const regret = await lines('regret-curve');
      expect(regret.map((l) => l.series)).toEqual(['memory-on', 'memory-off', 'oracle']);
      // The oracle's regret is 0 throughout: a flat line on the axis.
      const oracleY = await page.$eval('#regret-curve polyline[data-series="oracle"]', (el) => new Set((el.getAttribute('points') ?? '').trim().split(/\s+/).map((p: string) => p.split(',')[1])).size);
      expect(oracleY).toBe(1);
      expect(await page.locator('details[data-arm="memory-on"]').count()).toBe(LENGTH);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
      expect(dialogs).toEqual([]); // the <script> in the decision's why stayed text
      expect(await page.locator('details[data-arm="memory-on"] small').first().textContent()).toContain('<script>');
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
