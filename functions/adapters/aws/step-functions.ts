import { ExecutionAlreadyExists, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { TaskTokens } from '../../ports/approvals';
import type { WorkflowStarter } from '../../ports/workflow';

/** Starts remediation executions; a duplicate name is "already running", not an error. */
export class StepFunctionsWorkflow implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: unknown): Promise<{ started: boolean; executionId: string }> {
    try {
      const out = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { started: true, executionId: out.executionArn ?? name };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists) return { started: false, executionId: name };
      throw error;
    }
  }
}

/** SendTaskSuccess / SendTaskFailure: resumes an execution waiting on a task token (approve_action, deny_action). */
export class StepFunctionsTaskTokens implements TaskTokens {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    // Step Functions bounds: error 256 characters, cause 32768.
    await this.client.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, 256), cause: cause.slice(0, 32_768) }));
  }
}
