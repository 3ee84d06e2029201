import { buildTrustReport, DEFAULT_TRUST_WINDOW_SECONDS } from '../../functions/app/trust/trust-report';
import { DEFAULT_PROMOTION_THRESHOLD, type TrustRow } from '../../functions/domain/trust';
import { buildLocalDeps } from '../../functions/local/local-deps';
import { systemClock } from '../../functions/ports/clock';
import { defineCommand } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster } from '../framework/kubeconfig';
import { DEFAULT_DATA_DIR, memoryOptions, openMemory, type MemoryFlags } from '../framework/memory-source';
import { policyFromFlags } from '../framework/policy-option';

interface Options extends MemoryFlags {
  kubeconfig?: string;
  context?: string;
  clusterName?: string;
  policy?: string;
  since?: string;
  window: string;
  minN: string;
  minAgreement: string;
  minRecovery: string;
  json?: boolean;
}

/** `2026-12-01`, an ISO time, or `7d` / `12h` back from now. */
export function parseSince(text: string, now: Date): Date {
  const relative = /^(\d{1,4})([dh])$/.exec(text.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000));
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || !Number.isFinite(at)) throw new UsageError(`--since '${text}': give a date (2026-12-01), an ISO time, or 7d / 12h`);
  return new Date(at);
}

function number(text: string, flag: string, min: number, max: number, integer = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) throw new UsageError(`${flag} '${text}': must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  return n;
}

const rate = (r: TrustRow['agreement']) => (r.n === 0 ? '-' : `${r.successes}/${r.n} (${Math.round(r.low * 100)}-${Math.round(r.high * 100)} %)`);

export const command = defineCommand<Options>({
  description: `The trust ladder: every observe/dry-run decision in memory set against what
happened to its workload within --window seconds after it (the operator's
rollback, image change, scale, resource/probe/HPA edit, restart or pod
deletion, read from the workload's revision, replicas and containers against
the decision's pre-image) and whether it recovered. Per signature x action x
namespace: agreement with operators and recovery, with n and 95 % intervals,
and the strategies that meet the promotion threshold. It proposes; changing
the policy (mode, approvalRequiredFor) stays yours. Same report as the
trust_report action.`,
  configure: (cmd) =>
    memoryOptions(kubeconfigOptions(cmd), { dataDir: DEFAULT_DATA_DIR })
      .option('--since <D>', 'only decisions since D: 2026-12-01, an ISO time, or 7d / 12h')
      .option('--window <seconds>', 'how long after a decision to look for operators\' changes', String(DEFAULT_TRUST_WINDOW_SECONDS))
      .option('--min-n <n>', 'promotion threshold: decisions operators acted on', String(DEFAULT_PROMOTION_THRESHOLD.minN))
      .option('--min-agreement <p>', 'promotion threshold: lower 95 % bound of agreement', String(DEFAULT_PROMOTION_THRESHOLD.minAgreementLow))
      .option('--min-recovery <p>', 'promotion threshold: lower 95 % bound of recovery when operators agreed', String(DEFAULT_PROMOTION_THRESHOLD.minRecoveryLow))
      .option('--policy <file>', 'PolicyConfig JSON (its approvalRequiredFor shapes the proposals)')
      .option('--json', 'the whole report as JSON (rows, qualifying, every evaluation)'),
  async run({ opts, io }) {
    const since = opts.since !== undefined ? parseSince(opts.since, systemClock.now()) : undefined;
    const windowSeconds = number(opts.window, '--window', 60, 7 * 86_400, true);
    const threshold = {
      minN: number(opts.minN, '--min-n', 1, 10_000, true),
      minAgreementLow: number(opts.minAgreement, '--min-agreement', 0, 1),
      minRecoveryLow: number(opts.minRecovery, '--min-recovery', 0, 1),
    };
    const policy = await policyFromFlags(opts);
    const { cluster, clusterName } = await openCluster(opts, io.env);
    const source = await openMemory(opts, { dataDir: DEFAULT_DATA_DIR });
    if (!source) throw new UsageError('give --data-dir or --dynamodb-endpoint');
    try {
      const deps = buildLocalDeps({ clusters: { [clusterName]: cluster }, memory: source.memory, policy, clock: systemClock });
      const report = await buildTrustReport(deps, { ...(since ? { since } : {}), windowSeconds, threshold, cluster: clusterName });
      if (opts.json) {
        io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        return EXIT.ok;
      }
      const header = ['SIGNATURE', 'ACTION', 'NAMESPACE', 'DECISIONS', 'ACTED', 'AGREED', 'RECOVERED WHEN AGREED', 'VERDICT'];
      const rows = report.rows.map((r) => [r.signature, r.action, r.namespace, `${r.decisions}${r.pending ? ` (${r.pending} pending)` : ''}`, String(r.operatorActed), rate(r.agreement), rate(r.recoveryWhenAgreed), r.verdict]);
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
      const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
      io.stdout(`${[line(header), ...rows.map(line)].join('\n')}\n\n`);
      io.stdout(
        report.qualifying.length === 0
          ? `No strategy meets the threshold (n >= ${threshold.minN}, agreement low >= ${threshold.minAgreementLow}, recovery low >= ${threshold.minRecoveryLow}).\n`
          : `Proposed (a human decides):\n${report.qualifying.map((q) => `  - ${q.proposal}`).join('\n')}\n`,
      );
      return EXIT.ok;
    } finally {
      await source.close();
    }
  },
});
