import { parseArgs } from 'node:util';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { Command } from '../cli';
import { createEksToken, type AwsCredentials } from '../../functions/adapters/eks/token';
import { ValidationError } from '../../functions/domain/errors';

const HELP = `usage: eks-reflexion get-token --cluster-name NAME [--region REGION]

Prints an ExecCredential (client.authentication.k8s.io/v1beta1) holding an
EKS bearer token, like 'aws eks get-token', for kubectl's exec plugin:

  users:
  - name: eks
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: npx
        args: [eks-reflexion, get-token, --cluster-name, NAME, --region, REGION]

Credentials come from the AWS default provider chain (environment, shared
config/SSO profiles, web identity, container or instance role).
  --cluster-name NAME   EKS cluster name (required)
  --region REGION       AWS region (default: AWS_REGION, then AWS_DEFAULT_REGION)`;

/** kubectl refreshes a credential at its expirationTimestamp: ask one minute early, as the AWS CLI does. */
const EXPIRY_MARGIN_MS = 60_000;

export interface GetTokenIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  credentials?: () => Promise<AwsCredentials>;
  now?: () => Date;
}

export async function getToken(argv: string[], io: GetTokenIo): Promise<number> {
  let values: { 'cluster-name'?: string; region?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { 'cluster-name': { type: 'string' }, region: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    io.stderr(`eks-reflexion get-token: ${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const clusterName = values['cluster-name'];
  if (!clusterName) {
    io.stderr(`eks-reflexion get-token: --cluster-name is required\n\n${HELP}\n`);
    return 2;
  }
  const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  if (!region) {
    io.stderr('eks-reflexion get-token: no AWS region: pass --region or set AWS_REGION\n');
    return 1;
  }
  let credentials: AwsCredentials;
  try {
    credentials = await (io.credentials ?? defaultProvider())();
  } catch (error) {
    io.stderr(`eks-reflexion get-token: no AWS credentials from the default provider chain: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    const now = io.now?.() ?? new Date();
    const { token, expiresAt } = await createEksToken({ clusterName, region, credentials, now });
    const expirationTimestamp = new Date(expiresAt.getTime() - EXPIRY_MARGIN_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
    io.stdout(
      `${JSON.stringify({
        kind: 'ExecCredential',
        apiVersion: 'client.authentication.k8s.io/v1beta1',
        spec: {},
        status: { expirationTimestamp, token },
      })}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ValidationError) {
      io.stderr(`eks-reflexion get-token: ${error.message}\n`);
      return error.field === 'credentials' ? 1 : 2;
    }
    throw error;
  }
}

export const command: Command = {
  summary: 'print an EKS IAM token as ExecCredential JSON (like aws eks get-token)',
  run: (argv) =>
    getToken(argv, {
      env: process.env,
      stdout: (t) => process.stdout.write(t),
      stderr: (t) => process.stderr.write(t),
    }),
};
