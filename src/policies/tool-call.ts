/**
 * What Claude asked for, checked before anything runs: a known tool, allowed in this run, arguments of a
 * sane size that pass the tool's schema, and within the loop guards. A refusal is what Claude is told.
 */
import type { BudgetLimits } from '../shared/run';
import type { ToolErrorCode } from '../shared/tool-errors';
import type { ToolUseBlock } from '../shared/wire';
import type { AgentDefinition, ToolDefinition } from '../shared/tool-declarations';
import { byteLength } from './canonical';
import { checkCallGuards } from './loop-guard';

export type ToolCallCheck =
  { kind: 'ok'; tool: ToolDefinition; input: unknown; callKey: string } | { kind: 'refuse'; error: ToolErrorCode; message: string; hint: string };

export interface ToolCallContext {
  agent: AgentDefinition;
  /** The tools this run offers, by name. */
  offered: readonly string[];
  counts: { perTool: Record<string, number>; perCall: Record<string, number> };
  limits: Pick<BudgetLimits, 'maxCallsPerTool' | 'maxIdenticalCalls'>;
  /** The answer was cut at `max_tokens`, so its calls may be incomplete. */
  truncated: boolean;
}

export function checkToolCall(block: ToolUseBlock, context: ToolCallContext): ToolCallCheck {
  const refuse = (error: ToolErrorCode, message: string, hint: string): ToolCallCheck => ({ kind: 'refuse', error, message, hint });
  if (context.truncated) {
    return refuse('output_cut', 'your answer was cut off by the output limit, so this call may be incomplete', 'make the call again with shorter arguments');
  }
  const tool = context.agent.toolsByName[block.name];
  const choices = `use one of: ${context.offered.join(', ')}`;
  if (!tool) return refuse('unknown_tool', `there is no tool named "${block.name}"`, choices);
  if (!context.offered.includes(tool.name)) return refuse('tool_not_allowed', `${tool.name} is not allowed in this run`, choices);
  const size = byteLength(JSON.stringify(block.input ?? null));
  if (size > tool.maxInputBytes) {
    return refuse(
      'input_too_large',
      `the arguments are ${size} bytes; ${tool.name} accepts at most ${tool.maxInputBytes}`,
      'send less data, or split the work',
    );
  }
  const parsed = tool.input.safeParse(block.input);
  if (!parsed.success) {
    return refuse('invalid_arguments', describeIssues(parsed.error.issues).slice(0, 600), `fix the arguments to match the ${tool.name} input schema`);
  }
  const guard = checkCallGuards(tool.name, parsed.data, context.counts, context.limits);
  if (guard.kind === 'refuse') return refuse(guard.error, guard.message, guard.hint);
  return { kind: 'ok', tool, input: parsed.data, callKey: guard.callKey };
}

/** zod's issues as one line: `path: message; path: message`. */
export function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || '(input)'}: ${issue.message}`).join('; ');
}
