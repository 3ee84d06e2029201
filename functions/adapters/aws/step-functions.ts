import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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
