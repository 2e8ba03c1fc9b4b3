import { mcpRetrySafe, mcpToolRisk } from '../../src/policies/mcp-risk';
import { jsonSchemaInput } from '../../src/tools/json-schema';
import { mcpToolDefinition } from '../../src/tools/mcp';
import { classifyCallError } from '../../src/mcp/servers';
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
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { n: { type: 'integer', minimum: 1 }, to: { type: 'string', format: 'email' } }, required: ['n'], additionalProperties: false };
  const input = jsonSchemaInput(schema, 'test-schema');

  test('accepts what the schema accepts', () => {
    expect(input.safeParse({ n: 2, to: 'a@example.com' }).success).toBe(true);
  });

  test('refuses the rest with paths and messages', () => {
    const parsed = input.safeParse({ n: 0, to: 'nope', extra: 1 });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues.map((issue) => [issue.path.join('.'), issue.message]);
    expect(issues).toEqual(expect.arrayContaining([['n', expect.stringMatching(/>= 1/)], ['to', expect.stringMatching(/email/)], ['', expect.stringMatching(/extra/)]]));
    expect(input.safeParse({}).error!.issues[0].path).toEqual(['n']);
  });

  test('a schema that cannot be compiled refuses every input', () => {
    const broken = jsonSchemaInput({ type: 'object', properties: { a: { type: 'no-such-type' } } }, 'broken-schema');
    expect(broken.safeParse({}).success).toBe(false);
  });
});

test('a listed record becomes a tool whose declarations the policies read', () => {
  const record: McpToolRecord = {
    server: 'memory', tool: 'create_entities', name: 'memory_create_entities', description: 'Create', inputSchema: { type: 'object' },
    annotations: {}, risk: 'reversible', riskReason: 'a compensation is mapped', compensation: 'delete_entities', idempotent: false,
    retrySafe: true, schemaHash: 'h', critical: false, timeoutMs: 30_000, maxAttempts: 5,
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
  expect(() => assertMcpServers([
    { name: 'a b', command: 'x' },
    { name: 'm', command: 'x', compensations: { t: { tool: 't', input: () => ({}) } } },
    { name: 'm', url: 'http://127.0.0.1/mcp' },
  ])).toThrow(/a b.*t cannot undo itself.*two servers are named "m"/);
});
