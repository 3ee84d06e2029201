import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { ActionApiResponse } from '../../functions/app/action-api-schema';
import type { PolicyConfig } from '../../functions/domain/policy-config';
import { CALLER_FIELD, toolDefinitions } from './tools';

/** Where a tool call goes: the action API in this process, or the deployed actions function. */
export type ActionBackend = (payload: Record<string, unknown>) => Promise<ActionApiResponse>;

const NAME = /[^A-Za-z0-9@._:/-]/g;

/**
 * The MCP server over stdio: lists the action API's tools, and answers a
 * call by sending `{action: <tool>, ...arguments}` to the backend. Writes
 * name their caller: `requested_by` (and an approval's `approver`) default to
 * the name the MCP client declared when it connected. The answer is the
 * action API's JSON, as text and as structured content; `ok: false` is a
 * tool error the model can read, not a protocol error.
 */
export async function serveMcp(options: { backend: ActionBackend; policy: PolicyConfig; approvals: boolean; version: string }): Promise<void> {
  const tools = toolDefinitions(options.policy, { approvals: options.approvals });
  const server = new Server({ name: 'eks-reflexion', version: options.version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = tools.find((t) => t.name === request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool '${request.params.name}' (tools: ${tools.map((t) => t.name).join(', ')})`);
    const args: Record<string, unknown> = { ...(request.params.arguments ?? {}) };
    const field = CALLER_FIELD[tool.name];
    if (field && args[field] === undefined) {
      // The client's declared name, reduced to what the API accepts for a caller.
      const client = (server.getClientVersion()?.name ?? '').replace(NAME, '-').slice(0, 100);
      if (/^[A-Za-z0-9]/.test(client)) args[field] = `mcp:${client}`.slice(0, 100);
    }
    const answer = await options.backend({ ...args, action: tool.name });
    return {
      content: [{ type: 'text', text: JSON.stringify(answer, null, 2) }],
      structuredContent: answer as unknown as Record<string, unknown>,
      isError: !answer.ok,
    };
  });
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.on('end', () => resolve());
  });
}
