/**
 * What one run's history is made of: events and bytes per event type, the payload bytes of each activity's inputs and
 * results, and the bytes of the events that name no worker (a worker's `pid@host` is in every started and completed
 * event, so `historySize` moves by a few KB between runs of the same code). Then the run's input tokens per request:
 * uncached tokens in the requests that carry the wind-down notice, and in the others (a broken cache prefix shows
 * there).
 *
 * `npx tsx bench/history-events.ts [--steps 300]`: starts its own stack and runs the `reference` workload once, with
 * continue-as-new pushed out so one run holds every step.
 */
import { temporal } from '@temporalio/proto';
import { runMain, withStack } from './entry';

/** Event types whose attributes name no worker identity. */
const WITHOUT_IDENTITY = new Set([
  'ACTIVITY_TASK_SCHEDULED',
  'MARKER_RECORDED',
  'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'WORKFLOW_EXECUTION_STARTED',
  'WORKFLOW_EXECUTION_COMPLETED',
  'WORKFLOW_TASK_SCHEDULED',
]);

async function main(): Promise<void> {
  const { benchWorkflowId, sagentInput } = await import('./workload');
  const { resultWithin, tag } = await import('./stats');
  const index = process.argv.indexOf('--steps');
  const steps = index > 0 ? Number(process.argv[index + 1]) : 300;
  if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps wants a whole number of steps, not ${process.argv[index + 1]}`);
  await withStack('history-events', async (stack) => {
    const workflowId = benchWorkflowId('reference', steps, `events-${tag()}`);
    const handle = await stack.startSagent(workflowId, sagentInput('reference', steps, 100_000));
    const outcome = await resultWithin<{ status: string }>(handle, 30 * 60_000);
    const run = stack.client.workflow.getHandle(workflowId, handle.firstExecutionRunId);
    const description = await run.describe();
    const history = await run.fetchHistory();

    const byType = new Map<string, { events: number; bytes: number }>();
    const activities = new Map<string, { calls: number; input: number; result: number }>();
    const activityOf = new Map<string, string>();
    let withoutIdentity = 0;
    const payloadBytes = (payloads: temporal.api.common.v1.IPayloads | null | undefined) =>
      (payloads?.payloads ?? []).reduce((total, payload) => total + (payload.data?.length ?? 0), 0);
    for (const event of history.events ?? []) {
      const type = temporal.api.enums.v1.EventType[event.eventType ?? 0].replace(/^EVENT_TYPE_/, '');
      const bytes = temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
      const entry = byType.get(type) ?? { events: 0, bytes: 0 };
      byType.set(type, { events: entry.events + 1, bytes: entry.bytes + bytes });
      if (WITHOUT_IDENTITY.has(type)) withoutIdentity += bytes;
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) {
        const name = scheduled.activityType?.name ?? '?';
        activityOf.set(String(event.eventId), name);
        const known = activities.get(name) ?? { calls: 0, input: 0, result: 0 };
        activities.set(name, { ...known, calls: known.calls + 1, input: known.input + payloadBytes(scheduled.input) });
      }
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) {
        const name = activityOf.get(String(completed.scheduledEventId)) ?? '?';
        const known = activities.get(name) ?? { calls: 0, input: 0, result: 0 };
        activities.set(name, { ...known, result: known.result + payloadBytes(completed.result) });
      }
    }

    console.log(`${steps} steps ${outcome.status}: historySize ${description.historySize} B, ${description.historyLength} events`);
    for (const [type, { events, bytes }] of [...byType].sort())
      console.log(`  ${type.padEnd(36)} ${String(events).padStart(6)} ${String(bytes).padStart(9)} B`);
    for (const [name, { calls, input, result }] of activities) console.log(`  activity ${name}: ${calls} calls, inputs ${input} B, results ${result} B`);
    console.log(`  events that name no worker: ${withoutIdentity} B`);

    let noticeRequests = 0;
    let uncachedWithNotice = 0;
    let uncachedElsewhere = 0;
    for (const request of stack.model.requests) {
      if (request.runId !== workflowId || request.status !== 200 || !request.usage) continue;
      const body = request.body as { messages?: { content: string | { text?: string }[] }[] };
      const last = body.messages?.at(-1)?.content;
      const notice = Array.isArray(last) && (last.at(-1)?.text ?? '').startsWith('[budget notice');
      if (notice) noticeRequests += 1;
      if (notice) uncachedWithNotice += request.usage.input_tokens;
      else uncachedElsewhere += request.usage.input_tokens;
    }
    console.log(`uncached input tokens: ${uncachedWithNotice} in the ${noticeRequests} requests with the wind-down notice, ${uncachedElsewhere} in the others`);
  });
}

if (require.main === module) runMain(main);
