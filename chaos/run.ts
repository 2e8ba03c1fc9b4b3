/**
 * `npm run chaos [-- --short] [--cluster]`: the fault trials (`--cluster`: on a Temporal cluster on PostgreSQL, chaos/cluster.ts). Each trial runs on a stack of its own (dev server, services, model
 * server, worker processes), kills workers at every phase of a run and the dev server every few rounds, breaks model
 * calls (HTTP errors, cut streams, dropped connections, stalls, silence) and service calls (lost responses, 5xx), then
 * checks the services' own records. Prints a table, writes `chaos/results/latest.json`, exits 1 if anything the
 * guarantees forbid was found. Loopback only; every loop is bounded.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MODEL_TIMEOUTS } from '../src/models/watchdog';
import { checkTrial, passed, type TrialFindings } from './checks';
import { CLUSTER_FULL, CLUSTER_SHORT, clusterPassed, renderClusterTable, runClusterTrial } from './cluster';
import { beginOutageOn, outagePassed, outageScenario, renderOutage, runOutageTrial, type OutageFindings, type OutagePlan } from './outage';
import { chaosScenario } from './scenario';
import { startStack, type ChaosStack } from './stack';
import { runTrial, type TrialLog, type TrialPlan } from './trial';

/** 2 trials of 55 rounds: 110 worker kills, 6 dev-server restarts; about 10 minutes on 2 cores. */
const FULL: TrialPlan[] = [
  { name: 'one-worker', workers: 1, rounds: 55, runsPerRound: 2, serverRestarts: 3 },
  { name: 'three-workers', workers: 3, rounds: 55, runsPerRound: 2, serverRestarts: 3 },
];
/**
 * What CI runs: a worker kill at every phase once and one server kill, on three workers; about 100 s. The full run
 * adds the one-worker trial, where each kill leaves no worker until a new one starts.
 */
const SHORT: TrialPlan[] = [{ name: 'three-workers', workers: 3, rounds: 5, runsPerRound: 2, serverRestarts: 1 }];
/** The outage trial: 10 minutes of 529 in full; 30 s in CI. `--outage-ms N` sets another length. */
const FULL_OUTAGE: OutagePlan = { runs: 5, outageMs: 600_000, retryInitialMs: 5_000, retryMaxMs: 60_000 };
const SHORT_OUTAGE: OutagePlan = { runs: 3, outageMs: 30_000, retryInitialMs: 2_000, retryMaxMs: 5_000 };
/** The stock worker's deadlines: the fail-over figures are the ones a user of the defaults gets. */
const MODEL_TIMEOUTS = { ...DEFAULT_MODEL_TIMEOUTS };

async function main(): Promise<void> {
  if (process.argv.includes('--cluster')) return mainOnCluster();
  const short = process.argv.includes('--short');
  // `--only outage` (or `--outage`) runs the outage trial alone.
  const only = process.argv.includes('--outage') ? 'outage' : process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  if (only !== null && only !== 'outage') throw new Error(`--only: the trial "${only}" does not exist (outage)`);
  const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]);
  const plans = (short ? SHORT : FULL).map((plan) => (process.argv.includes('--rounds') && rounds > 0 ? { ...plan, rounds } : plan));
  const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const results: Array<{ trial: TrialLog; findings: TrialFindings; unexpectedWorkerExits: string[] }> = [];
  for (const plan of only === 'outage' ? [] : plans) {
    log(`${plan.name}: ${plan.rounds} rounds of ${plan.runsPerRound} runs on ${plan.workers} worker(s), ${plan.serverRestarts} server restart(s)`);
    const stack = await startStack({ scenarios: [chaosScenario], modelTimeouts: MODEL_TIMEOUTS, log });
    try {
      const trial = await runTrial(stack, plan, log);
      const findings = await checkTrial(stack, trial);
      results.push({ trial, findings, unexpectedWorkerExits: stack.workers.unexpectedExits });
    } finally {
      await stack.close();
    }
  }
  const outageMs = process.argv.includes('--outage-ms') ? Number(process.argv[process.argv.indexOf('--outage-ms') + 1]) : null;
  if (outageMs !== null && !(outageMs > 0)) throw new Error('--outage-ms: a positive number of milliseconds, e.g. --outage-ms 600000');
  const outagePlan = { ...(short ? SHORT_OUTAGE : FULL_OUTAGE), ...(outageMs !== null ? { outageMs } : {}) };
  log(`outage: ${outagePlan.runs} runs paused and ${outagePlan.runs} with a fallback, ${outagePlan.outageMs / 1000}s of 529`);
  // The scenario begins the outage on the stack it runs in, which exists only once the scenario is loaded.
  const holder: { stack?: ChaosStack } = {};
  const scenario = outageScenario(beginOutageOn(() => holder.stack));
  const outageStack = await startStack({ scenarios: [chaosScenario, scenario], modelTimeouts: MODEL_TIMEOUTS, log });
  holder.stack = outageStack;
  let outage: OutageFindings;
  try {
    outage = await runOutageTrial(outageStack, scenario, outagePlan, log);
  } finally {
    await outageStack.close();
  }
  if (results.length > 0)
    console.log(
      renderTable(
        results.map(({ trial, findings }) => ({ trial, findings })),
        MODEL_TIMEOUTS,
      ),
    );
  console.log(`\n${renderOutage(outage)}`);
  const out = path.join(__dirname, 'results', only === 'outage' ? 'outage.json' : short ? 'short.json' : 'latest.json');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(
    out,
    `${JSON.stringify({ mode: short ? 'short' : 'full', at: new Date().toISOString(), modelTimeouts: MODEL_TIMEOUTS, results, outage }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), out)}`);
  const failed = results.filter(({ findings }) => !passed(findings, MODEL_TIMEOUTS));
  if (!outagePassed(outage)) {
    console.error(`outage: ${JSON.stringify(outage)}`);
    process.exitCode = 1;
  }
  if (failed.length > 0) {
    for (const { trial, findings } of failed) console.error(`${trial.plan.name}: ${JSON.stringify(problems(findings))}`);
    process.exitCode = 1;
  }
}

/** `--cluster`: the trials on a Temporal cluster on PostgreSQL (chaos/cluster.ts). */
async function mainOnCluster(): Promise<void> {
  const short = process.argv.includes('--short');
  const log = (line: string) => console.error(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
  const plan = short ? CLUSTER_SHORT : CLUSTER_FULL;
  const result = await runClusterTrial(plan, MODEL_TIMEOUTS, log);
  console.log(renderClusterTable(result));
  const out = path.join(__dirname, 'results', short ? 'cluster-short.json' : 'cluster.json');
  await fs.mkdir(path.dirname(out), { recursive: true });
  await fs.writeFile(
    out,
    `${JSON.stringify({ mode: short ? 'cluster-short' : 'cluster', at: new Date().toISOString(), modelTimeouts: MODEL_TIMEOUTS, result }, null, 2)}\n`,
  );
  log(`wrote ${path.relative(process.cwd(), out)}`);
  if (!clusterPassed(result, MODEL_TIMEOUTS)) {
    console.error(
      `cluster: ${JSON.stringify({ trial: problems(result.findings), subAgents: problems(result.subAgents.findings), placement: result.placement, cliPendingListedChild: result.cliPendingListedChild })}`,
    );
    process.exitCode = 1;
  }
}

function problems(findings: TrialFindings) {
  const { lost, unexpected, undosOutOfOrder, leaked, unknownLeft, hangFailover } = findings;
  return { lost, unexpected, undosOutOfOrder, leaked: leaked.slice(0, 10), unknownLeft, hangFailover };
}

function renderTable(rows: Array<{ trial: TrialLog; findings: TrialFindings }>, timeouts: typeof MODEL_TIMEOUTS): string {
  const lines = [
    '| trial | runs | kills (model/tool/undo/approval/start-up) | server restarts | ended | lost | dup. effects | double undos | undos out of order | leaked | unknown left | hang fail-over s (stall/silent/cut/drop/garbage) | s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const { trial, findings } of rows) {
    const kills = Object.values(trial.kills);
    const ended = Object.entries(findings.ended)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    const hang = ['stall', 'silent', 'cut', 'drop', 'garbage'].map((kind) => findings.hangFailover[kind] ?? 'none').join('/');
    lines.push(
      `| ${trial.plan.name} (${trial.plan.workers} worker${trial.plan.workers > 1 ? 's' : ''}) | ${findings.runs} | ${kills.reduce((a, b) => a + b, 0)} (${kills.join('/')}) | ${trial.serverRestarts} | ${ended} | ${findings.lost.length} | ${findings.duplicateKeys + findings.duplicateIntents} | ${findings.doubleUndos} | ${findings.undosOutOfOrder.length} | ${findings.leaked.length} | ${findings.unknownLeft.length} | ${hang} | ${trial.seconds} |`,
    );
  }
  lines.push(
    '',
    `Model deadlines on the workers: first byte ${timeouts.firstByteMs} ms, idle ${timeouts.idleMs} ms; a killed worker's activity is retried after its 10 s heartbeat timeout.`,
  );
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
