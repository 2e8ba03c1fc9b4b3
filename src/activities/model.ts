import type Anthropic from '@anthropic-ai/sdk';
import { Context } from '@temporalio/activity';
import { classifyModelError } from '../models/errors';
import { createMessage } from '../models/anthropic';
import { Pricing } from '../models/pricing';
import { DEFAULT_MODEL_TIMEOUTS, type ModelTimeouts } from '../models/watchdog';
import { modelContextQuery } from '../shared/contracts';
import { mcpToolsQuery, type McpToolRecord } from '../shared/mcp';
import type { MessageParam, ModelTurn } from '../shared/wire';
import type { AgentDefinition } from '../tools/define';
import type { CallModelInput } from '../shared/activity-io';
import type { ContextCache } from './context-cache';
import { workflowOf } from './workflow-of';
import { windDownText } from '../policies/wind-down';
import { feedPublishSignal } from '../shared/feed';
import { DEFAULT_LIVE_FEED, FeedPublisher, type LiveFeedOptions } from './feed-publisher';

export interface ModelDeps {
  anthropic: Anthropic;
  agents: Readonly<Record<string, AgentDefinition>>;
  /** First-byte and idle-stream deadlines of one model call. @default DEFAULT_MODEL_TIMEOUTS */
  modelTimeouts?: Partial<ModelTimeouts>;
  /** Contexts the workflows offered this worker by sink; without it every call queries its workflow. */
  contexts?: ContextCache;
  /** Prices each answer. @default the built-in table */
  pricing?: Pricing;
  /** How Claude's text is batched to the run's live feed while a reader follows it; `false` sends none. @default DEFAULT_LIVE_FEED */
  liveFeed?: Partial<LiveFeedOptions> | false;
}

/** Heartbeat cadence while a model call runs, whatever the stream does, so a dead worker shows within seconds. */
const HEARTBEAT_EVERY_MS = 1000;

export function createModelActivities({ anthropic, agents, modelTimeouts, contexts, pricing = new Pricing(), liveFeed }: ModelDeps) {
  const timeouts: ModelTimeouts = { ...DEFAULT_MODEL_TIMEOUTS, ...modelTimeouts };
  const feedOptions = liveFeed === false ? null : { ...DEFAULT_LIVE_FEED, ...liveFeed };
  return {
    /** One call to Claude. Errors are classified here; Temporal retries the retryable ones. */
    async callModel(input: CallModelInput): Promise<ModelTurn> {
      const ctx = Context.current();
      const agent = agents[input.agent];
      if (!agent) throw new Error(`unknown agent "${input.agent}" on this worker`);
      const { workflowId, runId } = workflowOf(ctx);
      const held = input.messages ? undefined : contexts?.take(workflowId, runId, input.turn);
      const messages = input.messages ?? held?.messages ?? (await readContext(ctx, input.turn));
      // The run's own list of MCP tools, as it listed them at its start: never what the server offers today.
      const mcpTools = agent.mcpServers?.length ? (held?.mcpTools ?? (await readMcpTools(ctx))) : [];
      const beat = setInterval(() => ctx.heartbeat({ turn: input.turn }), HEARTBEAT_EVERY_MS);
      const feed = feedOptions && input.liveFeed === true ? livefeed(ctx, input.turn, feedOptions) : null;
      try {
        const answer = await createMessage(
          anthropic,
          {
            model: input.model,
            maxTokens: input.maxTokens,
            agent,
            toolNames: input.toolNames ?? [...agent.tools.map((tool) => tool.name), ...mcpTools.map((tool) => tool.name)],
            rawTools: mcpTools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
            messages,
            runId: workflowId,
            turn: input.turn,
            ...noticeOf(input),
          },
          { signal: ctx.cancellationSignal, timeouts, pricing, ...(feed ? { onText: (text: string) => feed.push(text) } : {}) },
        );
        contexts?.release(workflowId, runId, input.turn);
        return answer;
      } catch (err) {
        throw classifyModelError(err);
      } finally {
        // The text so far reaches the feed before the answer (or the failure) reaches the workflow.
        await feed?.close();
        clearInterval(beat);
      }
    },
  };
}

/** The feed of this attempt of the call: batches of text, signalled to the run that asked. */
function livefeed(ctx: Context, turn: number, options: LiveFeedOptions): FeedPublisher {
  const { workflowId, runId } = workflowOf(ctx);
  const handle = ctx.client.workflow.getHandle(workflowId, runId);
  return new FeedPublisher((batch) => handle.signal(feedPublishSignal, batch), turn, ctx.info.attempt, options);
}

/** Reads the run's MCP tools from the workflow, so their schemas never enter each turn's history. */
async function readMcpTools(ctx: Context): Promise<McpToolRecord[]> {
  const { workflowId, runId } = workflowOf(ctx);
  return ctx.client.workflow.getHandle(workflowId, runId).query(mcpToolsQuery);
}

/** Reads the context of this turn from the workflow, so contexts never enter the history. */
async function readContext(ctx: Context, turn: number): Promise<MessageParam[]> {
  const { workflowId, runId } = workflowOf(ctx);
  return ctx.client.workflow.getHandle(workflowId, runId).query(modelContextQuery, turn);
}

/** The notice for Claude: as an older run sent it, or worded here from the wind-down's figures. */
function noticeOf(input: CallModelInput): { notice?: string } {
  const notice = input.notice ?? windDownText(input.windDown);
  return notice ? { notice } : {};
}
