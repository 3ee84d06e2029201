import type { AwsCredentials } from '../../functions/adapters/eks/token';
import { defineCommand, processIo, type CommandIo } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { runCommand } from '../framework/run-command';
import { COMMANDS } from './index';

/** kubectl refreshes a credential at its expirationTimestamp: ask one minute early, as the AWS CLI does. */
const EXPIRY_MARGIN_MS = 60_000;

export interface GetTokenIo extends CommandIo {
  credentials?: () => Promise<AwsCredentials>;
  now?: () => Date;
}

interface Options {
  clusterName?: string;
  region?: string;
}

const getTokenCommand = (deps: Pick<GetTokenIo, 'credentials' | 'now'>) =>
  defineCommand<Options>({
    description: `Prints an ExecCredential (client.authentication.k8s.io/v1beta1) holding an
EKS bearer token, like 'aws eks get-token', for kubectl's exec plugin.
Credentials come from the AWS default provider chain (environment, shared
config/SSO profiles, web identity, container or instance role).`,
    configure: (cmd) =>
      cmd
        .option('--cluster-name <name>', 'EKS cluster name (required)')
        .option('--region <region>', 'AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION)'),
    helpAfter: `In a kubeconfig:
  users:
  - name: eks
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: npx
        args: [eks-reflexion, get-token, --cluster-name, NAME, --region, REGION]`,
    async run({ opts, io }) {
      const clusterName = opts.clusterName;
      if (!clusterName) throw new UsageError('--cluster-name is required');
      const region = opts.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
      if (!region) {
        io.stderr('eks-reflexion get-token: no AWS region: pass --region or set AWS_REGION\n');
        return EXIT.failed;
      }
      const [{ createEksToken }, { ValidationError }] = await Promise.all([import('../../functions/adapters/eks/token'), import('../../functions/domain/errors')]);
      let credentials: AwsCredentials;
      try {
        credentials = await (deps.credentials ?? (await import('@aws-sdk/credential-provider-node')).defaultProvider())();
      } catch (error) {
        io.stderr(`eks-reflexion get-token: no AWS credentials from the default provider chain: ${(error as Error).message}\n`);
        return EXIT.failed;
      }
      try {
        const now = deps.now?.() ?? new Date();
        const { token, expiresAt } = await createEksToken({ clusterName, region, credentials, now });
        const expirationTimestamp = new Date(expiresAt.getTime() - EXPIRY_MARGIN_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
        io.stdout(`${JSON.stringify({ kind: 'ExecCredential', apiVersion: 'client.authentication.k8s.io/v1beta1', spec: {}, status: { expirationTimestamp, token } })}\n`);
        return EXIT.ok;
      } catch (error) {
        if (error instanceof ValidationError) {
          if (error.field !== 'credentials') throw new UsageError(error.message);
          io.stderr(`eks-reflexion get-token: ${error.message}\n`);
          return EXIT.failed;
        }
        throw error;
      }
    },
  });

export const command = getTokenCommand({});

/** The command with injectable credentials and clock (tests). */
export function getToken(argv: string[], io: GetTokenIo = processIo): Promise<number> {
  return runCommand('get-token', COMMANDS['get-token']!.summary, getTokenCommand(io), argv, io);
}
