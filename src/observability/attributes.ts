/**
 * What sagent adds to the span Temporal opens around each activity (`RunActivity:callModel`, `RunActivity:runTool`,
 * `RunActivity:compensate`): the model, its token usage and cost; the tool, its effect id and outcome. Model
 * attributes follow the OpenTelemetry GenAI conventions (`gen_ai.*`); the rest are `sagent.*`.
 * Every function is a no-op when no span is recording (telemetry off).
 */
import { trace, type Attributes } from '@opentelemetry/api';
import { TOOL_FAILURE_TYPES, type CallModelInput, type CompensateInput, type RunToolInput, type ToolOutput } from '../shared/activity-io';
import type { ModelTurn } from '../shared/wire';

/** How a tool call or a compensation ended, as a span attribute. */
export type ToolOutcome = 'ok' | 'compensated' | 'not_needed' | 'rejected' | 'transient' | 'not_implemented' | 'error';

/** Sets attributes on the active span, if one is recording. */
export function annotateActiveSpan(attributes: Attributes): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) span.setAttributes(attributes);
}

/**
 * A model call, once Claude has answered. As the GenAI conventions (and the Anthropic SDK's own span) count them,
 * `gen_ai.usage.input_tokens` includes the cached input; the cache's share is in the `cache_*` attributes.
 */
export function annotateModelCall(input: CallModelInput, turn: ModelTurn): void {
  const { usage } = turn;
  annotateActiveSpan({
    'gen_ai.provider.name': 'anthropic',
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': input.model,
    'gen_ai.request.max_tokens': input.maxTokens,
    'gen_ai.response.model': turn.model,
    'gen_ai.response.finish_reasons': turn.stop_reason ? [turn.stop_reason] : [],
    'gen_ai.usage.input_tokens': usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
    'gen_ai.usage.output_tokens': usage.output_tokens,
    'gen_ai.usage.cache_read.input_tokens': usage.cache_read_input_tokens,
    'gen_ai.usage.cache_creation.input_tokens': usage.cache_creation_input_tokens,
    'sagent.cost_usd': turn.cost_usd,
    'sagent.agent': input.agent,
    'sagent.turn': input.turn,
  });
}

/** A tool call or a compensation: which effect, and how it ended. */
export function annotateToolCall(input: RunToolInput | CompensateInput, outcome: ToolOutcome, output?: Pick<ToolOutput, 'bytes' | 'truncated'>): void {
  annotateActiveSpan({
    'gen_ai.operation.name': 'execute_tool',
    'gen_ai.tool.name': input.tool,
    'sagent.agent': input.agent,
    'sagent.tool': input.tool,
    'sagent.effect_id': input.effectId,
    'sagent.tool.outcome': outcome,
    ...(output ? { 'sagent.tool.result_bytes': output.bytes, 'sagent.tool.truncated': output.truncated } : {}),
  });
}

const OUTCOME_OF_FAILURE: Readonly<Record<string, ToolOutcome>> = {
  [TOOL_FAILURE_TYPES.Rejected]: 'rejected',
  [TOOL_FAILURE_TYPES.Transient]: 'transient',
  [TOOL_FAILURE_TYPES.NotImplemented]: 'not_implemented',
};

/** The outcome a failed tool call or compensation reports, from its failure type (`ToolFailure.Rejected`, ...). */
export function failureOutcome(err: unknown): ToolOutcome {
  const type = (err as { type?: unknown } | null)?.type;
  return (typeof type === 'string' && OUTCOME_OF_FAILURE[type]) || 'error';
}
