/**
 * Annotates the span Temporal opens around each sagent activity from the activity's own input and result, so the
 * activities themselves carry no telemetry code. Installed only when tracing is on (see tracing.ts).
 */
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import type { Activities } from '../activities';
import type { CallModelInput, CompensateInput, RunToolInput, ToolOutput } from '../shared/activity-io';
import type { ModelTurn } from '../shared/wire';
import type { CompensationResult } from '../tools/runtime';
import { annotateActiveSpan, annotateModelCall, annotateToolCall, failureOutcome } from './attributes';
import { identityOfInput } from './identity-log';

type ActivityType = keyof Activities;

export class SagentActivityInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  async execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const type = this.ctx.info.activityType as ActivityType;
    const arg = input.args[0];
    const identity = identityOfInput(arg);
    annotateActiveSpan({
      'sagent.attempt': this.ctx.info.attempt,
      // Who started the run: `enduser.id` as OpenTelemetry names it, and the tenant it acts for.
      ...(identity ? { 'enduser.id': identity.principal, 'sagent.principal': identity.principal } : {}),
      ...(identity?.tenant ? { 'sagent.tenant': identity.tenant } : {}),
    });
    try {
      const result = await next(input);
      if (type === 'callModel') annotateModelCall(arg as CallModelInput, result as ModelTurn);
      else if (type === 'runTool') annotateToolCall(arg as RunToolInput, 'ok', result as ToolOutput);
      else if (type === 'compensate') annotateToolCall(arg as CompensateInput, result as CompensationResult);
      return result;
    } catch (err) {
      const errorType = (err as { type?: unknown } | null)?.type;
      annotateActiveSpan({ 'error.type': typeof errorType === 'string' ? errorType : ((err as Error)?.name ?? 'Error') });
      if (type === 'callModel') annotateActiveSpan({ 'gen_ai.request.model': (arg as CallModelInput).model });
      else if (type === 'runTool' || type === 'compensate') annotateToolCall(arg as RunToolInput, failureOutcome(err));
      throw err;
    }
  }
}
