import { z } from 'zod';
import { API_ACTIONS, buildPayloadSchemas, type ApiActionName } from '../../functions/app/action-api-schema';
import type { PolicyConfig } from '../../functions/domain/policy-config';

/**
 * The action API as MCP tools: one tool per action, its input schema the
 * published JSON Schema of the payload (schemas/<action>.json) without the
 * `action` field — the tool's name is the action. Annotations say what each
 * action really does to the cluster, so a client can ask its user before the
 * destructive ones.
 */

export interface ToolHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

const READ: ToolHints = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };
/** Sets a field to a value: repeating it changes nothing more; it overwrites what was there. */
const SET: ToolHints = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true };
/** Each call acts again (deletes another pod, starts another rollout, rolls back one more revision). */
const ACT: ToolHints = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

export const TOOL_HINTS: Record<ApiActionName, ToolHints> = {
  detect_failures: READ,
  analyze_pod: READ,
  pod_status: READ,
  recent_events: READ,
  cluster_metrics: READ,
  list_strategies: { ...READ, openWorldHint: false },
  list_episodes: { ...READ, openWorldHint: false },
  // Reads memory and the workloads the decisions were about; writes nothing.
  trust_report: READ,
  approval_status: { ...READ, openWorldHint: false },
  // Deletes a running pod; a repeat deletes its replacement.
  restart_pod: ACT,
  // A new rollout each time.
  rollout_restart: ACT,
  // Without to_revision a repeat rolls back from the revision the first call restored.
  rollback_deployment: ACT,
  scale_deployment: SET,
  patch_resources: SET,
  patch_image: SET,
  patch_probe: SET,
  patch_hpa: SET,
  execute_strategy: ACT,
  // One execution per incident (idempotent name); the execution may write.
  start_remediation: { ...SET },
  clear_memory: { ...SET, openWorldHint: false },
  // Lets the approved write happen; a second approval of the same digest is refused.
  approve_action: { ...ACT, openWorldHint: false },
  // Nothing is written anywhere but the decision record.
  deny_action: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
};

/** Tools whose payload names who asks (`requested_by`), and the approval tools (`approver`). */
export const CALLER_FIELD: Partial<Record<ApiActionName, 'requested_by' | 'approver'>> = {};

export interface ToolDefinition {
  name: ApiActionName;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[]; [k: string]: unknown };
  annotations: ToolHints & { title: string };
}

/** The tool list for a deployment's policy (its bounds are in the schemas). */
export function toolDefinitions(policy: PolicyConfig, options: { approvals: boolean }): ToolDefinition[] {
  const schemas = buildPayloadSchemas(policy);
  const out: ToolDefinition[] = [];
  for (const name of API_ACTIONS) {
    if (!options.approvals && (name === 'approve_action' || name === 'deny_action')) continue;
    const schema = schemas[name] as z.ZodType;
    const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
    const properties = { ...((json['properties'] ?? {}) as Record<string, unknown>) };
    delete properties['action'];
    const required = ((json['required'] ?? []) as string[]).filter((r) => r !== 'action');
    if ('requested_by' in properties) CALLER_FIELD[name] = 'requested_by';
    if ('approver' in properties) CALLER_FIELD[name] = 'approver';
    const { $schema: _schema, properties: _p, required: _r, description, ...rest } = json;
    out.push({
      name,
      description: String(description ?? schema.description ?? name),
      inputSchema: { ...rest, type: 'object', properties, ...(required.length > 0 ? { required } : {}) },
      annotations: { title: name.replace(/_/g, ' '), ...TOOL_HINTS[name] },
    });
  }
  return out;
}
