import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { EnvInput, FunctionRole } from '../functions/config/env';

/** Template metadata key naming a function's role; the local runner maps Task states to handlers with it. */
export const ROLE_METADATA_KEY = 'eks-reflexion:role';

/**
 * The newest Node.js runtime aws-cdk-lib 2.276 offers. Pinned (not
 * NODEJS_LATEST, which lags behind) so the bundle target and the runtime
 * always agree.
 */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface ReflexionFunctionProps<R extends FunctionRole> {
  readonly role: R;
  /** Typed from the zod schema the handler parses at cold start: a missing variable is a compile error. */
  readonly environment: EnvInput<R>;
  /** @default 512 MiB */
  readonly memorySize?: number;
  /** @default 60 seconds */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** @default `eks-reflexion <role>` */
  readonly description?: string;
}

/**
 * One Lambda function of the system (one per role). Owns the defaults once:
 * runtime, arm64, active tracing, a log group with retention, and local
 * esbuild bundling (ESM, minified, with source maps; the AWS SDK v3 stays
 * external because the runtime ships it).
 *
 * The execution role is created here without the AWSLambdaBasicExecutionRole
 * managed policy: the function may write only to its own log group.
 */
export class ReflexionFunction<R extends FunctionRole> extends Construct {
  readonly role: R;
  readonly function: NodejsFunction;
  readonly executionRole: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ReflexionFunctionProps<R>) {
    super(scope, id);
    this.role = props.role;

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Logs are operational, not the system of record (episodes are); deleting the stack removes them.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.executionRole = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `eks-reflexion ${props.role} function`,
    });
    this.logGroup.grantWrite(this.executionRole);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${repoRoot}functions/handlers/${props.role}.ts`,
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: `${repoRoot}package-lock.json`,
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: lambda.Tracing.ACTIVE,
      role: this.executionRole,
      logGroup: this.logGroup,
      description: props.description ?? `eks-reflexion ${props.role}`,
      environment: {
        ...(props.environment as Record<string, string>),
        // Stack traces in the logs point at the TypeScript sources.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // The AWS SDK is bundled, not taken from the runtime: esbuild defers the
        // init of what a role loads lazily (functions/runtime/lazy.ts) only for
        // bundled code, since an external import is hoisted and loaded at init.
        // Measured: module init 197-208 ms CPU bundled vs 373-460 ms external.
        externalModules: [],
        // Some bundled CommonJS dependencies call require() for Node built-ins, which ESM lacks.
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        forceDockerBundling: false,
      },
    });
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(ROLE_METADATA_KEY, props.role);
  }
}
