/** The rollback: every pending request withdrawn, then every started effect undone, newest first. */
import { CancellationScope } from '@temporalio/workflow';
import type { RunOutcome } from '../shared/run';
import { publishRun, setStatus } from './publish';
import { runOutcome, type Run } from './run-memory';
import { undoEffect, type ToolScope } from './tool-calls';

/** Rolls the run back, even when it is being cancelled, and returns how it ended. */
export async function rollBack(run: Run, tools: ToolScope, status: 'compensated' | 'cancelled', reason: string): Promise<RunOutcome> {
  const { desk, ledger, memory, settings, timeline } = run;
  for (const request of [...desk.pending]) {
    desk.close(request.callId, { decision: 'withdrawn', approver: null, reason: `the run is rolling back: ${reason}` });
  }
  memory.inFlight = null;
  setStatus(run, 'compensating', reason);
  timeline.note('run', `rolling back: ${reason}`, 'info');
  await CancellationScope.nonCancellable(async () => {
    for await (const step of ledger.rollback((effect) => undoEffect(effect, tools), settings.rollback)) {
      if (step.kind === 'settled') publishRun(run);
      else if (step.kind === 'unblocked') setStatus(run, 'compensating', reason);
      else {
        const { effect } = step;
        const why = `compensation of ${effect.tool} (${effect.effectId}) keeps failing: ${effect.compensationError}`;
        setStatus(run, 'blocked', `${why}; retrying with backoff; an operator can retry or skip it`);
      }
    }
  });
  setStatus(run, status, reason);
  return runOutcome(run, status, reason);
}
