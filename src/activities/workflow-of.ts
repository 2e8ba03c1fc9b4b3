import type { Context } from '@temporalio/activity';

/** The workflow an activity runs for; sagent's activities only ever run inside a workflow. */
export function workflowOf(ctx: Context): { workflowId: string; runId: string } {
  const execution = ctx.info.workflowExecution;
  if (!execution) throw new Error('sagent activities run only inside a workflow');
  return execution;
}
