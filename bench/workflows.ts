/**
 * The benchmark's workflow bundle: sagent's `agentSaga` and the baselines it is measured against, so
 * both run on one worker with the same settings.
 */
import { defineQuery, proxyActivities, setHandler, workflowInfo, type ActivityOptions } from '@temporalio/workflow';
import { appendTurn, buildContext, DEFAULT_CONTEXT, newConversation } from '../src/policies/context';
import type { MessageParam, ModelTurn, ToolResultBlockParam, ToolUseBlock } from '../src/shared/wire';
import type { BenchActivities } from './activities';

export { agentSaga } from '../src/demo/workflows';

// The same timeouts and retry policies as sagent's model and tool activities.
const { benchCallModel } = proxyActivities<BenchActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
});
const { benchRunTool } = proxyActivities<BenchActivities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: '10s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
} satisfies ActivityOptions);

export interface BaselineInput {
  task: string;
  /** Model turns at most; the scenario ends the run before this. */
  maxTurns: number;
}

export interface PlainOutcome {
  steps: number;
}

export interface NaiveOutcome {
  steps: number;
  /** The first step at whose start `workflowInfo().continueAsNewSuggested` was true; null if never. */
  continueAsNewSuggestedAtStep: number | null;
  /** History bytes the workflow saw at that moment. */
  historySizeWhenSuggested: number | null;
}

export const naiveStatsQuery = defineQuery<NaiveOutcome>('naiveStats');

/**
 * The plain loop: model call, then each tool call, one activity after another. It builds the context with
 * sagent's own context policy and sends it inline, so the model server gets the same requests as from
 * `agentSaga`; what differs is only sagent's machinery around the calls.
 */
export async function plainLoop(input: BaselineInput): Promise<PlainOutcome> {
  let conversation = newConversation(input.task);
  for (let turn = 1; turn <= input.maxTurns; turn++) {
    const answer = await benchCallModel({ turn, messages: buildContext(conversation), cache: true });
    const uses = toolUsesOf(answer);
    if (uses.length === 0) return { steps: turn - 1 };
    const results: ToolResultBlockParam[] = [];
    for (const use of uses) {
      results.push({ type: 'tool_result', tool_use_id: use.id, content: await benchRunTool({ tool: use.name, input: use.input as Record<string, string> }) });
    }
    conversation = appendTurn(conversation, { turn, assistant: answer.content, results }, DEFAULT_CONTEXT);
  }
  return { steps: input.maxTurns };
}

/**
 * The naive agent loop: the whole conversation, with every tool result in full, goes inline in every model
 * activity's input; no compaction, no prompt caching, no continue-as-new. It records when the server
 * first suggests continuing as new.
 */
export async function naiveLoop(input: BaselineInput): Promise<NaiveOutcome> {
  const messages: MessageParam[] = [{ role: 'user', content: [{ type: 'text', text: input.task }] }];
  const stats: NaiveOutcome = { steps: 0, continueAsNewSuggestedAtStep: null, historySizeWhenSuggested: null };
  setHandler(naiveStatsQuery, () => stats);
  for (let turn = 1; turn <= input.maxTurns; turn++) {
    const info = workflowInfo();
    if (info.continueAsNewSuggested && stats.continueAsNewSuggestedAtStep === null) {
      stats.continueAsNewSuggestedAtStep = turn - 1;
      stats.historySizeWhenSuggested = info.historySize;
    }
    const answer = await benchCallModel({ turn, messages, cache: false });
    messages.push({ role: 'assistant', content: answer.content });
    const uses = toolUsesOf(answer);
    if (uses.length === 0) return stats;
    const results: ToolResultBlockParam[] = [];
    for (const use of uses) {
      results.push({ type: 'tool_result', tool_use_id: use.id, content: await benchRunTool({ tool: use.name, input: use.input as Record<string, string> }) });
    }
    messages.push({ role: 'user', content: results });
    stats.steps = turn;
  }
  return stats;
}

function toolUsesOf(answer: ModelTurn): ToolUseBlock[] {
  return answer.content.filter((block): block is ToolUseBlock => block.type === 'tool_use');
}
