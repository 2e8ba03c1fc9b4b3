/** How a worker is told about MCP servers: how to reach each one, and what sagent should know of its tools. */
import type { ToolRisk } from '../tools/define';

/** What an MCP tool call returned, as the compensation mappings see it. */
export interface McpCallResult {
  content: unknown[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/**
 * What undoes a tool on the same server: the undo tool's name, and its arguments derived from the forward call.
 * A tool may undo itself when the mapping reverses its arguments (`move_file` with source and destination swapped);
 * an undo whose arguments equal the forward call's is refused, since it would repeat the call.
 * `result` is absent when the forward call's outcome is unknown (a timeout after the request left), so a mapping
 * that can work from the input alone should.
 */
export interface McpCompensation {
  tool: string;
  input: (forward: { input: any; result?: McpCallResult }) => unknown;
}

/** Per-tool settings that override what the server's annotations say. */
export interface McpToolOverride {
  /** @default from the annotations: `readOnlyHint` → read, a mapped compensation → reversible, else irreversible */
  risk?: ToolRisk;
  /** A non-retryable failure ends the saga. @default false */
  critical?: boolean;
  /** @default the server's `timeoutMs` */
  timeoutMs?: number;
  /** Attempts of a call that is safe to repeat. @default 5 */
  maxAttempts?: number;
  /** Not offered to Claude at all. @default false */
  hidden?: boolean;
}

interface McpServerBase {
  /** The name agents use in `mcpServers`, and the prefix of the tool names Claude sees. `[a-zA-Z0-9_-]`. */
  name: string;
  /** Prefix of the names Claude sees. @default `${name}_` */
  prefix?: string;
  /** By the server's tool name. */
  tools?: Record<string, McpToolOverride>;
  /** Undo mappings, by the server's name of the forward tool: `{ create_entities: { tool: 'delete_entities', input } }`. */
  compensations?: Record<string, McpCompensation>;
  /** One call's start-to-close timeout. @default 30_000 */
  timeoutMs?: number;
}

/** A server the worker starts as a child process and talks to over stdin/stdout; it lives as long as the worker. */
export interface McpStdioServerConfig extends McpServerBase {
  command: string;
  args?: string[];
  /** Added to a minimal default environment (the SDK's `getDefaultEnvironment()`). */
  env?: Record<string, string>;
  cwd?: string;
}

/** A server reached over MCP's Streamable HTTP transport. */
export interface McpHttpServerConfig extends McpServerBase {
  url: string;
  /** Sent with every request (e.g. `authorization`). */
  headers?: Record<string, string>;
}

/** An MCP server a worker offers tools from: a stdio command it starts and keeps, or a Streamable HTTP URL. */
export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

const SERVER_NAME = /^[a-zA-Z0-9_-]{1,32}$/;

/** Throws one error naming every problem of the configuration: duplicate or malformed names, mappings without input. */
export function assertMcpServers(servers: readonly McpServerConfig[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const server of servers) {
    if (!SERVER_NAME.test(server.name)) problems.push(`server name "${server.name}" must match ${SERVER_NAME}`);
    if (seen.has(server.name)) problems.push(`two servers are named "${server.name}"`);
    seen.add(server.name);
    if (!('command' in server) && !('url' in server)) problems.push(`server "${(server as { name: string }).name}" has neither command nor url`);
    for (const [forward, undo] of Object.entries(server.compensations ?? {})) {
      if (typeof undo?.input !== 'function') problems.push(`${server.name}.${forward}: the compensation needs an input function`);
      const risk = server.tools?.[forward]?.risk;
      if (risk === 'read' || risk === 'irreversible') problems.push(`${server.name}.${forward} is configured ${risk} and maps a compensation`);
    }
  }
  if (problems.length > 0) throw new Error(`mcpServers: ${problems.join('; ')}`);
}
