/**
 * The fleet's circuit breakers from the operator's side: every worker's breakers in one view (the task queue's
 * breaker board), and an override that holds a breaker open or closed on every worker, which each worker applies
 * within one poll (about 2 s). The override starts the board if no worker has yet.
 */
import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  breakerBoardId,
  BREAKER_BOARD_WORKFLOW,
  breakerBoardQuery,
  breakerOverrideUpdate,
  type BreakerOverride,
  type BreakerOverrideRequest,
  type BreakerView,
} from '../shared/breakers';
import type { ClientContext } from './context';
import { oneLine } from './errors';

/** One breaker of one worker, as the board last heard it. */
export interface FleetBreaker extends BreakerView {
  workerId: string;
  taskQueue: string;
  /** When that worker last reported (ISO). */
  reportedAt: string;
}

/** The fleet's breakers: every worker's, and the overrides in force. */
export interface FleetBreakers {
  breakers: FleetBreaker[];
  overrides: Record<string, BreakerOverride>;
  /** Workers that reported within the last minute. */
  workers: number;
  /** False when no worker has started the board yet (no tool declares a breaker, or no worker runs). */
  boardRunning: boolean;
}

/** Reads the board: one query, nothing written. */
export async function readBreakers(ctx: ClientContext): Promise<FleetBreakers> {
  try {
    const board = await ctx.client.workflow.getHandle(breakerBoardId(ctx.taskQueue)).query(breakerBoardQuery);
    const reports = Object.values(board.workers);
    const breakers = reports.flatMap((report) =>
      report.breakers.map((breaker) => ({ ...breaker, workerId: report.workerId, taskQueue: report.taskQueue, reportedAt: report.at })),
    );
    breakers.sort((a, b) => a.name.localeCompare(b.name) || a.workerId.localeCompare(b.workerId));
    return { breakers, overrides: board.overrides, workers: reports.length, boardRunning: true };
  } catch (err) {
    if ((err as Error)?.name !== 'WorkflowNotFoundError') throw err;
    return { breakers: [], overrides: {}, workers: 0, boardRunning: false };
  }
}

/** Holds a breaker open or closed on every worker, or lifts the override; resolves to the overrides in force. */
export async function overrideBreaker(ctx: ClientContext, request: BreakerOverrideRequest): Promise<Record<string, BreakerOverride>> {
  const startWorkflowOperation = new WithStartWorkflowOperation(BREAKER_BOARD_WORKFLOW, {
    workflowId: breakerBoardId(ctx.taskQueue),
    taskQueue: ctx.taskQueue,
    args: [],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  try {
    return await ctx.client.workflow.executeUpdateWithStart(breakerOverrideUpdate, { args: [request], startWorkflowOperation });
  } catch (err) {
    if ((err as Error).name !== 'WorkflowUpdateFailedError') throw err;
    throw new BreakerOverrideRefusedError(request.name, oneLine((err as { cause?: unknown }).cause ?? err));
  }
}

/** The board refused an override (a malformed name, a missing reason). */
export class BreakerOverrideRefusedError extends Error {
  override name = 'BreakerOverrideRefusedError' as const;
  constructor(
    readonly breaker: string,
    readonly why: string,
  ) {
    super(`the breaker board refused the override of ${breaker}: ${why}`);
  }
}
