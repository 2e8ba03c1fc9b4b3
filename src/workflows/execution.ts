/**
 * What the tool-call pipeline and its executors share: the run's parts a call needs, and the tagged result an
 * executor hands back. Executors only execute; the pipeline registers, settles the ledger and writes the result.
 */
import type { RunIdentity } from '../shared/policy';
import type { ReadyCall } from '../shared/records';
import type { RunStatus, RunUsage } from '../shared/run';
import type { ToolErrorBody, ToolErrorCode } from '../shared/tool-errors';
import type { AgentDefinition, AgentRegistry, ToolDefinition } from '../tools/define';
import type { Pending } from './after-settled';
import type { ChildEnd, SagaLedger } from './saga';
import type { Timeline } from './timeline';

/** What running calls needs of the run. */
export interface ToolScope {
  workflowId: string;
  agent: AgentDefinition;
  ledger: SagaLedger;
  timeline: Timeline;
  /** Every agent of the workflow: a delegated step is undone with its sub-agent's compensations. */
  agents?: AgentRegistry;
  /** Untrusted output reaches Claude fenced as data (runs with the policy patch). @default false */
  fenceUntrusted?: boolean;
  /** Who started the run: on its effect records and its activities' inputs (so the worker logs and traces it). */
  identity?: RunIdentity;
}

/** One call as an executor ran it. */
export type Execution =
  /** It ran: `content` is what Claude reads, `detail` what the timeline shows. */
  | { kind: 'ok'; content: string; detail: string; undoInput?: unknown; note?: string; usage?: RunUsage; child?: ChildEnd }
  /**
   * It failed: `cause` decides the effect's state (a definitive rejection is `failed`, anything else `unknown`);
   * `code` is the table's code when the executor knows it, else the pipeline picks it from the effect's state.
   */
  | {
      kind: 'failed';
      cause: unknown;
      message: string;
      detail: string;
      code?: ToolErrorCode;
      extra?: Partial<Omit<ToolErrorBody, 'error' | 'message'>>;
      usage?: RunUsage;
      child?: ChildEnd;
    }
  /** The run was cancelled under it; the pipeline records that and rethrows `cause`. */
  | { kind: 'cancelled'; cause: unknown; detail: string; child?: ChildEnd };

/** A status a collaborator asks the loop to publish; only the loop publishes. */
export interface StatusStep {
  kind: 'status';
  status: RunStatus;
  detail: string | null;
}

/** A status step, built. */
export function statusStep(status: RunStatus, detail: string | null): StatusStep {
  return { kind: 'status', status, detail };
}

/** How one call runs, chosen by the tool's declaration. */
export interface Executor {
  /** What the activity summary and the timeline call this call. */
  summary(call: ReadyCall, effectId: string, tool: ToolDefinition): string;
  /** The call, not yet continued: the pipeline adds its stages and continues them with one `.then`. */
  execute(call: ReadyCall, effectId: string, tool: ToolDefinition): Pending<Execution>;
}
