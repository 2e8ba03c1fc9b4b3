import { mcpRetrySafe, mcpToolRisk } from '../../src/policies/mcp-risk';
import { jsonSchemaInput } from '../../src/tools/json-schema';
import { mcpToolDefinition, withMcpTools } from '../../src/tools/mcp';
import { defineAgent, defineTool } from '../../src/tools/define';
import { z } from 'zod';
import { McpServers, classifyCallError } from '../../src/mcp/servers';
import { assertMcpServers } from '../../src/mcp/config';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { McpToolRecord } from '../../src/shared/mcp';

describe('mcpToolRisk', () => {
  test.each([
    [{ readOnlyHint: true }, {}, 'read'],
    [{ destructiveHint: true }, {}, 'irreversible'],
    [{}, {}, 'irreversible'],
    [{ readOnlyHint: false, destructiveHint: false }, {}, 'irreversible'],
    [{ readOnlyHint: false }, { compensated: true }, 'reversible'],
    [{ readOnlyHint: true }, { override: 'privileged' as const }, 'privileged'],
  ])('%j %j → %s', (annotations, options, risk) => {
    expect(mcpToolRisk(annotations, { compensated: false, ...options }).risk).toBe(risk);
  });

  test('only reads, undoable and idempotent tools may be repeated after the request left', () => {
    expect(mcpRetrySafe('read', {})).toBe(true);
    expect(mcpRetrySafe('reversible', {})).toBe(true);
    expect(mcpRetrySafe('irreversible', { idempotentHint: true })).toBe(true);
    expect(mcpRetrySafe('irreversible', {})).toBe(false);
  });
});

describe('jsonSchemaInput', () => {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: { n: { type: 'integer', minimum: 1 }, to: { type: 'string', format: 'email' } },
    required: ['n'],
    additionalProperties: false,
  };
  const input = jsonSchemaInput(schema, 'test-schema');

  test('accepts what the schema accepts', () => {
    expect(input.safeParse({ n: 2, to: 'a@example.com' }).success).toBe(true);
  });

  test('refuses the rest with paths and messages', () => {
    const parsed = input.safeParse({ n: 0, to: 'nope', extra: 1 });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['n', expect.stringMatching(/>= 1/)],
        ['to', expect.stringMatching(/email/)],
        ['', expect.stringMatching(/extra/)],
      ]),
    );
    expect(input.safeParse({}).error!.issues[0].path).toEqual(['n']);
  });

  test('a schema that cannot be compiled refuses every input', () => {
    const broken = jsonSchemaInput({ type: 'object', properties: { a: { type: 'no-such-type' } } }, 'broken-schema');
    expect(broken.safeParse({}).success).toBe(false);
  });
});

test('a listed record becomes a tool whose declarations the policies read', () => {
  const record: McpToolRecord = {
    server: 'memory',
    tool: 'create_entities',
    name: 'memory_create_entities',
    description: 'Create',
    inputSchema: { type: 'object' },
    annotations: {},
    risk: 'reversible',
    riskReason: 'a compensation is mapped',
    compensation: 'delete_entities',
    idempotent: false,
    retrySafe: true,
    schemaHash: 'h',
    critical: false,
    timeoutMs: 30_000,
    maxAttempts: 5,
  };
  const tool = mcpToolDefinition(record);
  expect(tool).toMatchObject({ name: 'memory_create_entities', risk: 'reversible', compensation: 'delete_entities', label: 'mcp memory.create_entities' });
  expect(tool.mcp).toEqual({ server: 'memory', tool: 'create_entities', schemaHash: 'h', retrySafe: true });
});

describe('classifyCallError', () => {
  test("the server's own JSON-RPC error is a definitive rejection", () => {
    const failure = classifyCallError(new McpError(ErrorCode.InvalidParams, 'bad'), 'memory.create_entities', false);
    expect([failure.type, failure.nonRetryable]).toEqual(['ToolFailure.Rejected', true]);
  });
  test('a timeout is retried when the tool is safe to repeat, and an unknown outcome otherwise', () => {
    const timeout = new McpError(ErrorCode.RequestTimeout, 'slow');
    expect([classifyCallError(timeout, 'x', true).type, classifyCallError(timeout, 'x', true).nonRetryable]).toEqual(['McpFailure.Timeout', false]);
    expect([classifyCallError(timeout, 'x', false).type, classifyCallError(timeout, 'x', false).nonRetryable]).toEqual(['McpFailure.OutcomeUnknown', true]);
  });
});

test('assertMcpServers names every problem', () => {
  expect(() =>
    assertMcpServers([
      { name: 'a b', command: 'x' },
      { name: 'm', command: 'x', compensations: { t: { tool: 'u' } as never } },
      { name: 'm', url: 'http://127.0.0.1/mcp' },
    ]),
  ).toThrow(/a b.*m\.t: the compensation needs an input function.*two servers are named "m"/);
});

describe('an MCP tool that undoes itself', () => {
  const moveBack = {
    tool: 'move_file',
    input: ({ input }: { input: { source: string; destination: string } }) => ({ source: input.destination, destination: input.source }),
  };
  const binding = { server: 'fs', tool: 'move_file', schemaHash: 'h', retrySafe: true };
  const ctx = {
    effectId: 'e',
    idempotencyKey: 'e/undo',
    forwardKey: 'e',
    workflowId: 'w',
    attempt: 1,
    signal: new AbortController().signal,
    heartbeat: () => {},
  };

  test('is configured with a mapping that reverses its arguments', () => {
    expect(() => assertMcpServers([{ name: 'fs', command: 'x', compensations: { move_file: moveBack } }])).not.toThrow();
  });

  test('is refused, before any call, when the undo would repeat the forward arguments, saying what to map', async () => {
    const servers = new McpServers([
      { name: 'fs', command: 'no-such-command', compensations: { move_file: { tool: 'move_file', input: ({ input }) => input } } },
    ]);
    const undo = servers.undo({ binding, effectId: 'e', input: { source: 'a', destination: 'b' } }, ctx, 1000);
    await expect(undo).rejects.toMatchObject({
      nonRetryable: true,
      message: expect.stringMatching(/undoes itself with the forward call's own arguments.*map the arguments that reverse it/),
    });
  });
});

// regression: an agent with both sub-agents and MCP servers failed every workflow task ("declares tool delegate_billing twice").
test("withMcpTools keeps an agent's delegates once, next to its own tools and the listed MCP tools", () => {
  const lookup = defineTool({ name: 'lookup', description: 'Looks up', input: z.object({}), risk: 'read' });
  const agent = defineAgent({
    name: 'a',
    description: 'A',
    system: 'S',
    tools: [lookup],
    delegates: [{ agent: 'billing', description: 'Bills' }],
    mcpServers: ['fs'],
  });
  const record: McpToolRecord = {
    server: 'fs',
    tool: 'read_file',
    name: 'fs_read_file',
    description: 'Read',
    inputSchema: { type: 'object' },
    annotations: { readOnlyHint: true },
    risk: 'read',
    riskReason: 'read-only',
    compensation: null,
    idempotent: true,
    retrySafe: true,
    schemaHash: 'h',
    critical: false,
    timeoutMs: 30_000,
    maxAttempts: 5,
  };
  const bare = defineAgent({ name: 'b', description: 'B', system: 'S', tools: [], delegates: [{ agent: 'b2', description: 'x' }], mcpServers: ['fs'] });
  expect(withMcpTools(bare, []).tools.map((tool) => tool.name)).toEqual(['delegate_b2', 'abort']);
  const listed = withMcpTools(agent, [record]);
  expect(listed.tools.map((tool) => tool.name)).toEqual(['lookup', 'fs_read_file', 'delegate_billing', 'abort']);
  expect(listed.toolsByName.delegate_billing.delegate).toEqual({ agent: 'billing' });
});
