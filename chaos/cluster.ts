/**
 * `npm run chaos -- --cluster [--short]`: the fault trials on a Temporal cluster on PostgreSQL with 4 history shards (the
 * cluster `npm run cluster` starts, in a scratch directory on free ports), with three worker processes. The usual
 * trial (workers SIGKILLed at every phase, model and service faults), the server SIGKILLed and restarted, PostgreSQL
 * stopped as a crash would and started again, then sub-agent runs whose children run on other shards, approvals found
 * through SQL visibility (`sagent pending`). The same checks as on the dev server, plus where each run landed.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { startCluster, type Cluster } from '../deploy/cluster/cluster';
import { DB_USER, HISTORY_SHARDS, TEMPORAL_VERSION } from '../deploy/cluster/settings';
import { checkTrial, passed, type TrialFindings } from './checks';
import { chaosScenario } from './scenario';
import { startStack, type ChaosStack, type TrialServer } from './stack';
import { SUB_EXPECTED, childOf, runSubAgentRounds, subAgentScenario, type SubPhase } from './subagents';
import { runTrial, type TrialLog, type TrialPlan } from './trial';
import { launchBrowser, readWorkflowList } from '../test/ui/window';

const run = promisify(execFile);

export interface ClusterPlan {
  trial: TrialPlan;
  subAgentRounds: number;
}

/** Three workers; every phase killed 5 times; 3 server kills and 3 database restarts; 12 sub-agent trees. */
export const CLUSTER_FULL: ClusterPlan = {
  trial: { name: 'cluster', workers: 3, rounds: 25, runsPerRound: 2, serverRestarts: 3, databaseRestarts: 3 },
  subAgentRounds: 6,
};
/** CI: every phase once, one server kill, one database restart, 6 sub-agent trees. */
export const CLUSTER_SHORT: ClusterPlan = {
  trial: { name: 'cluster', workers: 3, rounds: 5, runsPerRound: 2, serverRestarts: 1, databaseRestarts: 1 },
  subAgentRounds: 3,
};

export interface ShardFindings {
  /** Runs (parents, children, the trial's other runs) per history shard, from the server's own database. */
  runsPerShard: Record<string, number>;
  subAgentTrees: number;
  /** Trees whose child landed on another shard than its parent. */
  childOnOtherShard: number;
  /** Children the database did not know (never started). */
  childMissing: string[];
}

export interface ClusterTrialResult {
  version: string;
  shards: number;
  trial: TrialLog;
  findings: TrialFindings;
  subAgents: { runs: number; kills: Record<SubPhase, number>; missedHolds: number; findings: TrialFindings };
  placement: ShardFindings;
  /** `sagent pending --json` (the CLI, on SQL visibility) listed a sub-agent's call while it waited. */
  cliPendingListedChild: boolean;
  /** The cluster's Web UI, read in Chromium: its workflow list showed a sub-agent tree's parent; or why it was not read. */
  uiListedRun: boolean | { skipped: string };
  unexpectedWorkerExits: string[];
  seconds: number;
}

export async function runClusterTrial(
  plan: ClusterPlan,
  modelTimeouts: { firstByteMs: number; idleMs: number },
  log: (line: string) => void,
): Promise<ClusterTrialResult> {
  const began = Date.now();
  let cluster: Cluster | undefined;
  const server = async (dir: string): Promise<TrialServer> => {
    // PostgreSQL runs as its own user when the trial runs as root: it must reach into the scratch directory.
    await fs.chmod(dir, 0o755);
    cluster = await startCluster({ stateDir: path.join(dir, 'cluster'), ui: true, progress: (line) => log(`cluster: ${line}`) });
    const started = cluster;
    return {
      address: started.address,
      restart: () => started.restartServer(),
      restartDatabase: () => started.restartPostgres(),
      stop: () => started.stop(),
    };
  };
  const stack = await startStack({ scenarios: [subAgentScenario, chaosScenario], modelTimeouts, log, server });
  try {
    log(
      `${plan.trial.name}: ${plan.trial.rounds} rounds on ${plan.trial.workers} workers, ${plan.trial.serverRestarts} server kill(s), ${plan.trial.databaseRestarts} database restart(s)`,
    );
    const trial = await runTrial(stack, plan.trial, log);
    const findings = await checkTrial(stack, trial);

    log(`${plan.trial.name}: sub-agents, ${plan.subAgentRounds} rounds`);
    const cliCheck = watchCliPending(stack, log);
    const sub = await runSubAgentRounds(stack, plan.subAgentRounds, plan.trial.name, log);
    const cliPendingListedChild = await cliCheck.stop();
    const subLog: TrialLog = { ...trial, runs: sub.runs, hangs: [] };
    const subFindings = await checkTrial(stack, subLog, SUB_EXPECTED);
    const placement = await shardPlacement(
      cluster!,
      sub.runs.map((r) => r.workflowId),
    );
    const uiListedRun = await readClusterUi(cluster!, sub.runs[sub.runs.length - 1]?.workflowId, log);
    return {
      version: TEMPORAL_VERSION,
      shards: HISTORY_SHARDS,
      trial,
      findings,
      subAgents: { runs: sub.runs.length, kills: sub.kills, missedHolds: sub.missedHolds, findings: subFindings },
      placement,
      cliPendingListedChild,
      uiListedRun,
      unexpectedWorkerExits: stack.workers.unexpectedExits,
      seconds: Math.round((Date.now() - began) / 1000),
    };
  } finally {
    await stack.close();
  }
}

/** Where the server put each run: `current_executions.shard_id` in its own database. */
async function shardPlacement(cluster: Cluster, parents: string[]): Promise<ShardFindings> {
  const db = new PgClient({ host: '127.0.0.1', port: cluster.ports.postgres, user: DB_USER, database: 'temporal' });
  await db.connect();
  try {
    const { rows } = await db.query<{ shard_id: number; workflow_id: string }>('SELECT shard_id, workflow_id FROM current_executions');
    const shardOf = new Map(rows.map((row) => [row.workflow_id, row.shard_id]));
    const runsPerShard: Record<string, number> = {};
    for (const row of rows) runsPerShard[row.shard_id] = (runsPerShard[row.shard_id] ?? 0) + 1;
    let childOnOtherShard = 0;
    const childMissing: string[] = [];
    for (const parent of parents) {
      const child = shardOf.get(childOf(parent));
      if (child === undefined) childMissing.push(childOf(parent));
      else if (child !== shardOf.get(parent)) childOnOtherShard += 1;
    }
    return { runsPerShard, subAgentTrees: parents.length, childOnOtherShard, childMissing };
  } finally {
    await db.end();
  }
}

/** Opens the cluster's Web UI in Chromium on the list of one run, found through the cluster's SQL visibility. */
async function readClusterUi(cluster: Cluster, workflowId: string | undefined, log: (line: string) => void): Promise<boolean | { skipped: string }> {
  if (cluster.uiUrl === null) return { skipped: cluster.uiSkipped ?? 'the Web UI was not started' };
  if (workflowId === undefined) return { skipped: 'no sub-agent run to look for' };
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    const list = await readWorkflowList(page, cluster.uiUrl, `WorkflowId = '${workflowId}'`, workflowId, 'cluster-list');
    log(`web ui ${cluster.uiUrl}: the list showed ${list.workflowIds.join(', ') || 'nothing'}`);
    return list.workflowIds.includes(workflowId);
  } catch (err) {
    log(`web ui ${cluster.uiUrl}: ${(err as Error).message.split('\n')[0]}`);
    return false;
  } finally {
    await browser.close();
  }
}

/**
 * Runs `sagent pending --json` (the CLI, as a person would, on the cluster's SQL visibility) every few seconds while the
 * sub-agent rounds run; `stop()` says whether it ever listed a child's call.
 */
function watchCliPending(stack: ChaosStack, log: (line: string) => void): { stop(): Promise<boolean> } {
  let listed = false;
  let stopped = false;
  const cli = path.join(__dirname, '..', 'src', 'cli', 'main.ts');
  const loop = (async () => {
    while (!stopped && !listed) {
      try {
        const { stdout } = await run(process.execPath, ['-r', 'tsx/cjs', cli, 'pending', '--json'], {
          cwd: path.join(__dirname, '..'),
          env: { ...process.env, TEMPORAL_ADDRESS: stack.address, TEMPORAL_NAMESPACE: 'default', SAGENT_TASK_QUEUE: stack.taskQueue },
        });
        const calls = JSON.parse(stdout) as Array<{ workflowId: string; tool: string }>;
        if (calls.some((call) => call.workflowId.endsWith('/payments') && call.tool === 'charge_card')) {
          listed = true;
          log(`sagent pending --json listed a sub-agent's charge_card: ${calls.find((call) => call.workflowId.endsWith('/payments'))!.workflowId}`);
        }
      } catch {
        // The server or the database may be restarting: the next try will tell.
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return listed;
    },
  };
}

/** The cluster trial's table, in the same columns as the dev server's, and where the runs landed. */
export function renderClusterTable(result: ClusterTrialResult): string {
  const row = (name: string, runs: number, kills: Record<string, number>, restarts: string, f: TrialFindings) => {
    const total = Object.values(kills).reduce((a, b) => a + b, 0);
    const ended = Object.entries(f.ended)
      .map(([status, n]) => `${n} ${status}`)
      .join(', ');
    return `| ${name} | ${runs} | ${total} (${Object.values(kills).join('/')}) | ${restarts} | ${ended} | ${f.lost.length} | ${f.duplicateKeys + f.duplicateIntents} | ${f.doubleUndos} | ${f.undosOutOfOrder.length} | ${f.leaked.length} | ${f.unknownLeft.length} |`;
  };
  const { trial, findings, subAgents, placement } = result;
  const shards = Object.entries(placement.runsPerShard)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([shard, n]) => `shard ${shard}: ${n}`)
    .join(', ');
  return [
    `Temporal ${result.version} cluster on PostgreSQL, ${result.shards} history shards, ${trial.plan.workers} worker processes; ${result.seconds} s in all.`,
    '',
    '| trial | runs | worker kills | server kills | database restarts | ended | lost | dup. effects | double undos | undos out of order | leaked | unknown left |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    row('phases (model/tool/undo/approval/start-up)', findings.runs, trial.kills, `${trial.serverRestarts} | ${trial.databaseRestarts}`, findings),
    row('sub-agents (child model/child approval/undo of child)', subAgents.runs, subAgents.kills, '0 | 0', subAgents.findings),
    '',
    `Runs per history shard (the server's current_executions): ${shards}. Sub-agent trees whose child ran on another shard than its parent: ${placement.childOnOtherShard} of ${placement.subAgentTrees}${placement.childMissing.length ? `; children never started: ${placement.childMissing.length}` : ''}.`,
    `\`sagent pending --json\` on SQL visibility listed a waiting sub-agent's charge: ${result.cliPendingListedChild ? 'yes' : 'no'}. The Web UI's list (Chromium) showed a sub-agent run: ${typeof result.uiListedRun === 'boolean' ? (result.uiListedRun ? 'yes' : 'no') : `not read (${result.uiListedRun.skipped})`}. Model hangs failed over in (s, stall/silent/cut/drop/garbage): ${['stall', 'silent', 'cut', 'drop', 'garbage'].map((k) => findings.hangFailover[k] ?? 'none').join('/')}.`,
  ].join('\n');
}

/** True when both trials passed the dev server's checks, runs used every shard, a child ran on another shard than its parent, and the CLI saw a child's call. */
export function clusterPassed(result: ClusterTrialResult, timeouts: { firstByteMs: number; idleMs: number }): boolean {
  return (
    passed(result.findings, timeouts) &&
    passed(result.subAgents.findings, timeouts) &&
    Object.keys(result.placement.runsPerShard).length === result.shards &&
    result.placement.childOnOtherShard > 0 &&
    result.placement.childMissing.length === 0 &&
    result.cliPendingListedChild &&
    result.uiListedRun !== false
  );
}
