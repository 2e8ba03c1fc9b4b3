import { temporal } from '@temporalio/proto';
import { startStack } from './stack';
import { benchWorkflowId, TASKS, sagentInput } from './workload';
(async () => {
  const stack = await startStack(console.error);
  try {
    for (const kind of ['sagent', 'plain']) {
      const id = benchWorkflowId('reference', 30, `diag-${kind}-${Date.now()}`);
      const h = kind === 'plain' ? await stack.startBaseline('plainLoop', id, { task: TASKS.reference, maxTurns: 40 }) : await stack.startSagent(id, sagentInput('reference', 30, 1000));
      await h.result();
      const d = await h.describe();
      const hist = await h.fetchHistory();
      const by: Record<string, [number, number]> = {};
      let total = 0;
      for (const e of hist.events!) {
        const n = temporal.api.history.v1.HistoryEvent.encode(e as any).finish().length;
        total += n;
        const k = temporal.api.enums.v1.EventType[e.eventType as number] ?? String(e.eventType);
        const a = e.activityTaskScheduledEventAttributes?.activityType?.name;
        const key = a ? `${k}:${a}` : k;
        by[key] ??= [0, 0]; by[key][0]++; by[key][1] += n;
      }
      console.log(kind, 'historySize', d.historySize, 'encoded sum', total, 'events', hist.events!.length);
      for (const [k, [c, b]] of Object.entries(by).sort((x, y) => y[1][1] - x[1][1])) console.log('  ', k.padEnd(60), c, b, Math.round(b / c));
      // sample a completed event payload sizes
      const wftc = hist.events!.filter((e) => e.workflowTaskCompletedEventAttributes).slice(5, 6);
      console.log(JSON.stringify(wftc[0]?.workflowTaskCompletedEventAttributes).slice(0, 1500));
      const ac = hist.events!.filter((e) => e.activityTaskCompletedEventAttributes).slice(10, 12);
      for (const e of ac) { const p = e.activityTaskCompletedEventAttributes!.result!.payloads![0]; console.log('result', p.data!.length, Buffer.from(p.data!).toString().slice(0, 300)); }
    }
  } finally { await stack.stop(); }
})();
