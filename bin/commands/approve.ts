import { LambdaClient } from '@aws-sdk/client-lambda';
import { DigestSchema } from '../../functions/domain/approval';
import { defineCommand, type CommandSpec } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { lambdaBackend } from './mcp';

interface Options {
  functionName?: string;
  region?: string;
  approver?: string;
  note?: string;
}

/**
 * `approve DIGEST` / `deny DIGEST`: decide an approval request through the
 * deployed actions function (the one place allowed to resume a waiting
 * execution). Prints the action API's JSON answer.
 */
function decide(action: 'approve_action' | 'deny_action'): CommandSpec<Options> {
  return defineCommand<Options>({
    description: `${action === 'approve_action' ? 'Approves exactly the change of DIGEST (refused when the object changed since: the execution re-plans and asks again)' : 'Denies DIGEST: the execution escalates with nothing written'}.
Calls the deployed actions function (stack output ActionsFunctionName) with
AWS credentials from the environment; DIGEST comes from the ApprovalRequested
event or 'approval_status'.`,
    configure: (cmd) =>
      cmd
        .argument('<digest>', 'sha256:<64 hex digits>')
        .requiredOption('--function-name <name>', 'the deployed actions function')
        .option('--region <region>', 'its region (default: $AWS_REGION)')
        .option('--approver <name>', 'who decides (default: $USER)')
        .option('--note <text>', 'recorded with the decision'),
    async run({ opts, args, io }) {
      const digest = DigestSchema.safeParse(args[0]);
      if (!digest.success) throw new UsageError(`DIGEST: ${digest.error.issues[0]?.message ?? 'invalid'}`);
      const region = opts.region ?? io.env['AWS_REGION'] ?? io.env['AWS_DEFAULT_REGION'];
      if (!region) throw new UsageError('--region (or AWS_REGION) is needed');
      const approver = opts.approver ?? io.env['USER'];
      if (!approver) throw new UsageError('--approver is needed (no $USER to default to)');
      const answer = await lambdaBackend(new LambdaClient({ region }), opts.functionName!)({
        action,
        digest: digest.data,
        approver,
        ...(opts.note ? { note: opts.note } : {}),
      });
      io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
      return answer.ok ? EXIT.ok : EXIT.failed;
    },
  });
}

export const command = decide('approve_action');
export const denyCommand = decide('deny_action');
