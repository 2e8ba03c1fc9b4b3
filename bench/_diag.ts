import { startStack } from './stack';
import { benchWorkflowId, TASKS, sagentInput } from './workload';
(async () => {
  console.error("starting"); const stack = await startStack(console.error); console.error("stack up");
  try {
    for (const kind of ['plain', 'sagent', 'plain']) {
      const id = benchWorkflowId('weather', 20, `diag-${kind}-${Date.now()}`);
      const t0 = performance.now();
      const h = kind === 'plain' ? await stack.startBaseline('plainLoop', id, { task: TASKS.weather, maxTurns: 30 }) : await stack.startSagent(id, sagentInput('weather', 20));
      const poll = setInterval(async () => { const d = await h.describe(); console.log('  ...', d.status.name, d.historyLength); }, 5000);
      await h.result();
      clearInterval(poll);
      console.log(kind, 'total', Math.round(performance.now() - t0));
      const hist = await h.fetchHistory();
      const evs = hist.events!;
      const ms = (e: any) => Number(e.eventTime.seconds) * 1000 + e.eventTime.nanos / 1e6;
      const gaps: Record<string, number[]> = {};
      for (let i = 1; i < evs.length; i++) {
        const k = `${evs[i - 1].eventType}->${evs[i].eventType}`;
        (gaps[k] ??= []).push(ms(evs[i]) - ms(evs[i - 1]));
      }
      for (const [k, v] of Object.entries(gaps)) console.log(' ', k, v.length, 'avg', (v.reduce((a, b) => a + b, 0) / v.length).toFixed(1));
    }
  } finally { await stack.stop(); }
})();
