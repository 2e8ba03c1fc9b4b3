/**
 * The worker's MCP servers: one client per configured server, connected on first use and kept for the worker's life
 * (a stdio server is a child process of the worker), reconnected after it breaks. Listing decides each tool's risk
 * once; calling carries the effect id as the idempotency key in `_meta` and turns every failure into a typed one.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { requirePeer } from '../peers';
import { byteLength, canonicalJson, sha256Hex } from '../policies/canonical';
import { capText } from '../policies/context';
import { mcpRetrySafe, mcpToolRisk } from '../policies/mcp-risk';
import { MCP_FAILURE_TYPES, MCP_IDEMPOTENCY_KEY_META, type McpBinding, type McpToolAnnotations, type McpToolRecord } from '../shared/mcp';
import { TOOL_FAILURE_TYPES, type ToolOutput } from '../shared/activity-io';
import type { CompensationResult, ToolContext } from '../tools/runtime';
import { assertMcpServers, type McpCallResult, type McpServerConfig } from './config';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_ATTEMPTS = 5;
/** What Claude sees of one result before it is cut (the default of native tools). */
const MAX_RESULT_BYTES = 8192;
/** The SDK's own deadline ends a call this much before Temporal's, so the failure is typed here. */
const TIMEOUT_MARGIN_MS = 1000;
const STDERR_TAIL = 2000;

// The MCP SDK is an optional peer: it loads when a worker configures MCP servers, not on every import of sagent.
const FEATURE = 'mcpServers (tools from MCP servers)';
let loaded:
  | (typeof import('@modelcontextprotocol/sdk/client/index.js') &
      typeof import('@modelcontextprotocol/sdk/client/stdio.js') &
      typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js') &
      typeof import('@modelcontextprotocol/sdk/types.js'))
  | undefined;
function mcpSdk(): NonNullable<typeof loaded> {
  return (loaded ??= {
    ...requirePeer<typeof import('@modelcontextprotocol/sdk/client/index.js')>('@modelcontextprotocol/sdk/client/index.js', FEATURE),
    ...requirePeer<typeof import('@modelcontextprotocol/sdk/client/stdio.js')>('@modelcontextprotocol/sdk/client/stdio.js', FEATURE),
    ...requirePeer<typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js')>('@modelcontextprotocol/sdk/client/streamableHttp.js', FEATURE),
    ...requirePeer<typeof import('@modelcontextprotocol/sdk/types.js')>('@modelcontextprotocol/sdk/types.js', FEATURE),
  });
}

interface Connection {
  client: Client;
  /** The server said its tool list changed since it was last read. */
  stale: boolean;
  /** The tools as the server offers them now, by name, with their schema hash. */
  hashes: Map<string, string>;
}

/** A call of one MCP tool on the worker. */
export interface McpCall {
  binding: McpBinding;
  input: unknown;
  effectId: string;
}

export class McpServers {
  private readonly configs = new Map<string, McpServerConfig>();
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly stderr = new Map<string, string>();

  constructor(servers: readonly McpServerConfig[]) {
    assertMcpServers(servers);
    // A worker that configures MCP servers without the SDK installed is told so now, not at its first call.
    mcpSdk();
    for (const server of servers) this.configs.set(server.name, server);
  }

  /** The configured servers' names. */
  get names(): string[] {
    return [...this.configs.keys()];
  }

  /** The tools `server` offers now, with the risk this worker's configuration gives them. */
  async list(server: string): Promise<McpToolRecord[]> {
    const config = this.config(server);
    const connection = await this.connect(server);
    const tools = await this.readTools(server, connection);
    const records: McpToolRecord[] = [];
    const prefix = config.prefix ?? `${config.name}_`;
    for (const tool of tools) {
      const override = config.tools?.[tool.name] ?? {};
      if (override.hidden) continue;
      const annotations = annotationsOf(tool);
      const undo = config.compensations?.[tool.name];
      if (undo && !tools.some((candidate) => candidate.name === undo.tool)) {
        throw notConfigured(`${server}.${tool.name} maps its undo to ${undo.tool}, which the server does not offer`);
      }
      const decision = mcpToolRisk(annotations, { override: override.risk, compensated: undo !== undefined });
      const retrySafe = mcpRetrySafe(decision.risk, annotations);
      const name = `${prefix}${tool.name}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
      if (records.some((record) => record.name === name)) throw notConfigured(`${server}: two tools are offered as "${name}"`);
      records.push({
        server,
        tool: tool.name,
        name,
        description: (tool.description ?? annotations.title ?? tool.name).slice(0, 4000),
        inputSchema: tool.inputSchema as Record<string, unknown>,
        annotations,
        risk: decision.risk,
        riskReason: decision.reason,
        compensation: decision.risk === 'read' || decision.risk === 'irreversible' ? null : (undo?.tool ?? null),
        idempotent: annotations.idempotentHint === true,
        retrySafe,
        schemaHash: schemaHashOf(tool),
        critical: override.critical ?? false,
        timeoutMs: override.timeoutMs ?? config.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxAttempts: retrySafe ? (override.maxAttempts ?? DEFAULT_MAX_ATTEMPTS) : 1,
      });
    }
    return records;
  }

  /** Calls the tool with the effect id as the idempotency key; what Claude sees, or a typed failure. */
  async call(call: McpCall, ctx: ToolContext, timeoutMs: number): Promise<ToolOutput> {
    const { binding } = call;
    const connection = await this.connect(binding.server);
    const note = await this.schemaNote(binding, connection);
    const result = await this.request(binding, connection, binding.tool, call.input, ctx, timeoutMs);
    if (result.isError) {
      const message = textOf(result).slice(0, 2000) || `${binding.tool} answered with an error`;
      throw ApplicationFailure.create({
        type: TOOL_FAILURE_TYPES.Rejected,
        message,
        nonRetryable: true,
        details: [{ code: 'mcp_tool_error', message, hint: null }],
      });
    }
    const serialised = textOf(result);
    const content = capText(serialised, MAX_RESULT_BYTES);
    const undoInput = this.undoInputOf(binding, call.input, result);
    return {
      content,
      bytes: byteLength(serialised),
      truncated: content !== serialised,
      ...(note ? { note } : {}),
      ...(undoInput !== undefined ? { undoInput } : {}),
    };
  }

  /** Runs the mapped undo of a forward call; its key is the forward key with `/undo`. */
  async undo(call: McpCall & { undoInput?: unknown }, ctx: ToolContext, timeoutMs: number): Promise<CompensationResult> {
    const { binding } = call;
    const mapping = this.config(binding.server).compensations?.[binding.tool];
    if (!mapping) throw notConfigured(`this worker maps no compensation for ${binding.server}.${binding.tool}`);
    const input = call.undoInput !== undefined ? call.undoInput : mapping.input({ input: call.input });
    // A tool may undo itself (move_file back) only with arguments that reverse it: the same ones would repeat it.
    if (mapping.tool === binding.tool && canonicalJson(input) === canonicalJson(call.input)) {
      throw notConfigured(
        `${binding.server}.${binding.tool} undoes itself with the forward call's own arguments, which would repeat it: map the arguments that reverse it (e.g. swap source and destination)`,
      );
    }
    const connection = await this.connect(binding.server);
    const result = await this.request({ ...binding, retrySafe: true }, connection, mapping.tool, input, ctx, timeoutMs);
    if (result.isError) {
      throw ApplicationFailure.create({
        type: TOOL_FAILURE_TYPES.Transient,
        message: textOf(result).slice(0, 2000) || `${mapping.tool} answered with an error`,
      });
    }
    return 'compensated';
  }

  /** Connects to every server now, so stdio servers start with the worker; a server that fails is retried on use. */
  async warmUp(): Promise<void> {
    await Promise.allSettled(this.names.map((server) => this.connect(server)));
  }

  /** Closes every connection (stops the stdio servers). */
  async close(): Promise<void> {
    const open = [...this.connections.values()];
    this.connections.clear();
    await Promise.allSettled(open.map(async (connection) => (await connection).client.close()));
  }

  private undoInputOf(binding: McpBinding, input: unknown, result: McpCallResult): unknown {
    const mapping = this.config(binding.server).compensations?.[binding.tool];
    if (!mapping) return undefined;
    try {
      return mapping.input({ input, result });
    } catch {
      // Derived again from the input alone when the undo runs.
      return undefined;
    }
  }

  private async request(
    binding: McpBinding,
    connection: Connection,
    tool: string,
    input: unknown,
    ctx: ToolContext,
    timeoutMs: number,
  ): Promise<McpCallResult> {
    try {
      const result = await connection.client.callTool(
        { name: tool, arguments: input as Record<string, unknown>, _meta: { [MCP_IDEMPOTENCY_KEY_META]: ctx.idempotencyKey } },
        undefined,
        { signal: ctx.signal, timeout: Math.max(1000, timeoutMs - TIMEOUT_MARGIN_MS) },
      );
      return result as McpCallResult;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const failure = classifyCallError(err, `${binding.server}.${tool}`, binding.retrySafe);
      if (failure.type !== TOOL_FAILURE_TYPES.Rejected) this.drop(binding.server, connection);
      throw failure;
    }
  }

  /** A note for the run when the server now lists the tool with another schema, or not at all. */
  private async schemaNote(binding: McpBinding, connection: Connection): Promise<string | undefined> {
    try {
      if (connection.stale) await this.readTools(binding.server, connection);
    } catch {
      return undefined;
    }
    const now = connection.hashes.get(binding.tool);
    if (now === binding.schemaHash) return undefined;
    const what = now === undefined ? 'no longer lists' : 'now lists another schema for';
    return `mcp ${binding.server} ${what} ${binding.tool}; this run keeps the tool as it was listed at its start`;
  }

  private async readTools(server: string, connection: Connection): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await connection.client.listTools(cursor ? { cursor } : undefined, { timeout: DEFAULT_TIMEOUT_MS });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
    } catch (err) {
      this.drop(server, connection);
      throw classifyCallError(err, `${server} tools/list`, true);
    }
    connection.hashes = new Map(tools.map((tool) => [tool.name, schemaHashOf(tool)]));
    connection.stale = false;
    return tools;
  }

  private config(server: string): McpServerConfig {
    const config = this.configs.get(server);
    if (!config) throw notConfigured(`this worker has no MCP server "${server}"; its servers: ${this.names.join(', ') || 'none'}`);
    return config;
  }

  private connect(server: string): Promise<Connection> {
    const known = this.connections.get(server);
    if (known) return known;
    const opening = this.open(this.config(server));
    this.connections.set(server, opening);
    opening.catch(() => {
      if (this.connections.get(server) === opening) this.connections.delete(server);
    });
    return opening;
  }

  private async open(config: McpServerConfig): Promise<Connection> {
    const { Client, StdioClientTransport, StreamableHTTPClientTransport, ToolListChangedNotificationSchema, getDefaultEnvironment } = mcpSdk();
    const client = new Client({ name: 'sagent', version: '0.1.0' });
    const connection: Connection = { client, stale: true, hashes: new Map() };
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      connection.stale = true;
    });
    const transport =
      'command' in config
        ? new StdioClientTransport({
            command: config.command,
            args: config.args,
            env: { ...getDefaultEnvironment(), ...config.env },
            cwd: config.cwd,
            stderr: 'pipe',
          })
        : new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers ?? {} } });
    if (transport instanceof StdioClientTransport) {
      transport.stderr?.on('data', (chunk: Buffer) =>
        this.stderr.set(config.name, ((this.stderr.get(config.name) ?? '') + chunk.toString()).slice(-STDERR_TAIL)),
      );
    }
    transport.onclose = () => {
      void this.connections.get(config.name)?.then(
        (current) => current === connection && this.connections.delete(config.name),
        () => undefined,
      );
    };
    try {
      await client.connect(transport, { timeout: DEFAULT_TIMEOUT_MS });
    } catch (err) {
      await client.close().catch(() => undefined);
      const tail = this.stderr.get(config.name)?.trim().split('\n').slice(-3).join(' | ');
      throw ApplicationFailure.create({
        type: MCP_FAILURE_TYPES.Unavailable,
        message: `MCP server ${config.name} is unavailable: ${(err as Error)?.message ?? err}${tail ? ` (stderr: ${tail})` : ''}`.slice(0, 1000),
      });
    }
    return connection;
  }

  private drop(server: string, connection: Connection): void {
    void this.connections.get(server)?.then(
      (current) => {
        if (current !== connection) return;
        this.connections.delete(server);
        void connection.client.close().catch(() => undefined);
      },
      () => undefined,
    );
  }
}

/** The hash a run keeps for a tool: what it is called, what it says, what it accepts and how it behaves. */
export function schemaHashOf(tool: Pick<Tool, 'name' | 'description' | 'inputSchema' | 'annotations'>): string {
  return sha256Hex(
    canonicalJson({ name: tool.name, description: tool.description ?? null, inputSchema: tool.inputSchema, annotations: tool.annotations ?? null }),
  );
}

function annotationsOf(tool: Tool): McpToolAnnotations {
  const { title, readOnlyHint, destructiveHint, idempotentHint, openWorldHint } = tool.annotations ?? {};
  const hints = { title: title ?? tool.title, readOnlyHint, destructiveHint, idempotentHint, openWorldHint };
  return Object.fromEntries(Object.entries(hints).filter(([, value]) => value !== undefined)) as McpToolAnnotations;
}

/** What Claude reads of a result: its text, other content described, structured content as JSON when no text. */
function textOf(result: McpCallResult): string {
  const parts = (result.content ?? []).map((item) => {
    const block = item as { type?: string; text?: string; mimeType?: string; uri?: string; resource?: { uri?: string } };
    if (block.type === 'text') return block.text ?? '';
    if (block.type === 'resource_link') return `[resource ${block.uri}]`;
    if (block.type === 'resource') return `[resource ${block.resource?.uri}]`;
    return `[${block.type}${block.mimeType ? ` ${block.mimeType}` : ''}]`;
  });
  if (parts.every((part) => part === '') && result.structuredContent) return JSON.stringify(result.structuredContent);
  return parts.join('\n');
}

function notConfigured(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: MCP_FAILURE_TYPES.NotConfigured, message, nonRetryable: true });
}

/**
 * A failed request as a typed failure. The server's own JSON-RPC error (bad params, no such tool) is a definitive
 * rejection: nothing ran. A timeout or a broken connection may have left the call running on the server: retried
 * only when the tool is safe to repeat, otherwise reported as an unknown outcome and never repeated.
 */
export function classifyCallError(err: unknown, what: string, retrySafe: boolean): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const message = `${what}: ${(err as Error)?.message ?? String(err)}`.slice(0, 1000);
  const { ErrorCode, McpError } = mcpSdk();
  const code = err instanceof McpError ? err.code : undefined;
  if (code !== undefined && code !== ErrorCode.RequestTimeout && code !== ErrorCode.ConnectionClosed && code !== ErrorCode.InternalError) {
    return ApplicationFailure.create({
      type: TOOL_FAILURE_TYPES.Rejected,
      message,
      nonRetryable: true,
      details: [{ code: 'mcp_protocol_error', message, hint: null }],
    });
  }
  const type = code === ErrorCode.RequestTimeout ? MCP_FAILURE_TYPES.Timeout : MCP_FAILURE_TYPES.Protocol;
  if (!retrySafe) {
    return ApplicationFailure.create({
      type: MCP_FAILURE_TYPES.OutcomeUnknown,
      message: `${message} (the request may have reached the server; not repeated, since the tool is not safe to repeat)`,
      nonRetryable: true,
      details: [{ cause: type }],
    });
  }
  return ApplicationFailure.create({ type, message });
}
