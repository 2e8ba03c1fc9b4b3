/**
 * Safe deploys on the real dev server: worker processes of two builds of one shop (in v2 `charge_card` gains a
 * required `cvv`), versioned as Worker Deployment Versions and switched with the official CLI. A pinned run that
 * waited for approval on v1 completes on v1 after v2 became current, with one charge; runs started after the switch
 * run on v2; v1 is then drained. An auto-upgrade agent whose change sits behind `patched()` moves its waiting run to
 * v2. On unversioned workers the same change wedges the run, and `sagent status` says what fails and how to fix it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { main } from '../../src/cli/main';
import { SAGENT_PRELOAD_MODULES, sagentWebpackConfigHook } from '../../src/worker';
import { SagentClient } from '../../src/client';
import { startServices } from '../../src/demo/services/server';
import { startModelServer, type ModelServer } from '../../src/dev/model-server';
import type { RespondingScenario } from '../../src/dev/scenario';
import { findTemporalCli } from '../../src/dev/temporal-cli';
import type { RunView } from '../../src/operations/run-view';
import { approvalSignal } from '../../src/shared/contracts';
import { runLedger, waitUntil } from '../helpers/services';
import { testConnection, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const ENTRY = path.join(__dirname, '..', 'fixtures', 'agents', 'deploys', 'worker-main.ts');
const CHARGE = { amountCents: 41250, currency: 'EUR', card: '4242424242424242', description: 'Order 1042' };

/** Claude charges once (with a cvv for runs started after v2 shipped: their ids say `-v2-`), then confirms. */
const shopper: RespondingScenario = {
  name: 'deploys',
  match: { runIdPrefix: 'deploy-' },
  respond: (ctx) =>
    ctx.turn === 1
      ? { content: [{ type: 'tool_use', name: 'charge_card', input: ctx.runId?.includes('-v2-') ? { ...CHARGE, cvv: '123' } : CHARGE }] }
      : { content: [{ type: 'text', text: ctx.lastToolResults[0]?.is_error ? `Failed: ${ctx.lastToolResults[0].text}` : 'Charged.' }] },
};

let temporal: TestTemporal;
let model: ModelServer;
let services: { url: string; close(): Promise<void> };
let cli: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  temporal = await testConnection();
  model = await startModelServer({ scenarios: [shopper] });
  services = await startServices({ port: 0, dataDir: 'memory://' });
  const found = await findTemporalCli();
  if (!found) throw new Error('no Temporal CLI: install it as the README says (or set TEMPORAL_CLI_PATH)');
  cli = found;
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await Promise.all([model?.close(), services?.close()]);
  await temporal?.close();
});

/** One shop in its own task queue and Worker Deployment. */
function shopFleet(name: string) {
  const taskQueue = uniqueTaskQueue(name);
  const deployment = `${name}-${randomUUID().slice(0, 8)}`;
  const sagent = new SagentClient({ client: temporal.client, taskQueue, queryTimeoutMs: 3_000 });
  const mine: WorkerProcess[] = [];
  return {
    taskQueue,
    deployment,
    sagent,
    /** A worker process of `build`, polling as version `<deployment>:<build>` (unversioned with `versioned: false`). */
    async worker(build: 'v1' | 'v2', versioned = true): Promise<WorkerProcess> {
      const worker = await startWorkerProcess({
        entry: ENTRY,
        taskQueue,
        modelUrl: model.url,
        servicesUrl: services.url,
        readyTimeoutMs: 240_000,
        env: {
          SAGENT_TEST_SHOP_BUILD: build,
          SAGENT_TEST_WORKFLOW_BUNDLE: await bundleOf(build),
          ...(versioned ? { SAGENT_DEPLOYMENT: deployment, SAGENT_BUILD_ID: build } : { SAGENT_BUILD_ID: '', SAGENT_DEPLOYMENT: '' }),
        },
      });
      workers.push(worker);
      mine.push(worker);
      return worker;
    },
    /** `temporal worker deployment set-current-version`, as docs/DEPLOY.md has it; retried while the version has not polled yet. */
    async makeCurrent(build: string): Promise<void> {
      const args = [
        'worker',
        'deployment',
        'set-current-version',
        '--deployment-name',
        deployment,
        '--build-id',
        build,
        '--yes',
        '--address',
        temporal.address,
        '--namespace',
        temporal.namespace,
      ];
      let last = '';
      await waitUntil(async () => {
        try {
          await promisify(execFile)(cli, args);
          return true;
        } catch (err) {
          last = (err as { stderr?: string }).stderr ?? String(err);
          return false;
        }
      }, 60_000).catch(() => {
        throw new Error(`set-current-version ${build} failed: ${last}`);
      });
    },
    async start(id: string, agent: string) {
      const started = await sagent.start(
        { agent, task: 'Charge my card for order 1042', approval: { approvers: ['ana'] } },
        { workflowId: id, acceptTimeoutMs: 30_000 },
      );
      expect(started.accepted).toBe(true);
      return started;
    },
    async waitFor(id: string, until: (view: RunView) => boolean, timeoutMs = 30_000): Promise<RunView> {
      let last: RunView | undefined;
      await waitUntil(async () => until((last = await sagent.read(id))), timeoutMs).catch(() => {
        const logs = mine.map((worker, index) => `worker ${index + 1}: ${worker.stderr().slice(-2000)}`).join('\n');
        throw new Error(`${id}: timed out; last ${last?.status} · ${last?.statusDetail ?? ''} · ${last?.fallbackReason ?? ''}\n${logs}`);
      });
      return last!;
    },
    async approve(id: string) {
      const view = await sagent.read(id);
      expect(view.pendingApprovals).toHaveLength(1);
      await sagent.decide({ workflowId: id, callId: view.pendingApprovals[0].callId, decision: 'approve', approver: 'ana', via: 'signal', privateKey: false });
    },
  };
}

async function sagentCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await main(['node', 'sagent', ...args], { stdout, stderr, stdin: new PassThrough(), env });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

const bundles = new Map<string, Promise<string>>();

/** Each build's workflow bundle, built once for every worker process of that build. */
function bundleOf(build: 'v1' | 'v2'): Promise<string> {
  let bundle = bundles.get(build);
  if (!bundle) {
    bundle = (async () => {
      const { code } = await bundleWorkflowCode({
        workflowsPath: path.join(path.dirname(ENTRY), `workflows-${build}.ts`),
        preloadModules: [...SAGENT_PRELOAD_MODULES],
        webpackConfigHook: sagentWebpackConfigHook(),
        logger: new DefaultLogger('WARN'),
      });
      const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), `sagent-shop-${build}-`)), 'workflow-bundle.js');
      await fs.writeFile(file, code);
      return file;
    })();
    bundles.set(build, bundle);
  }
  return bundle;
}

const charges = async (id: string) => (await runLedger(services.url, id)).effects.map((effect) => [effect.key, effect.operation, effect.state]);

test('a pinned run waits on v1 while v2 becomes current, completes on v1 with one charge; new runs take v2; v1 drains', async () => {
  const fleet = shopFleet('deploy-pinned');
  await fleet.worker('v1');
  await fleet.makeCurrent('v1');
  const waiting = `deploy-pinned-v1-${randomUUID().slice(0, 8)}`;
  await fleet.start(waiting, 'shop');
  const before = await fleet.waitFor(waiting, (view) => view.status === 'awaiting_approval');
  expect(before.version).toMatchObject({ deployment: fleet.deployment, buildId: 'v1', behavior: 'pinned' });

  // v2 ships while v1's worker keeps running.
  await fleet.worker('v2');
  await fleet.makeCurrent('v2');
  const after = `deploy-pinned-v2-${randomUUID().slice(0, 8)}`;
  await fleet.start(after, 'shop');
  const fresh = await fleet.waitFor(after, (view) => view.status === 'awaiting_approval');
  expect(fresh.version).toMatchObject({ buildId: 'v2', behavior: 'pinned' });
  // v2 marks the cvv secret: no view shows it.
  expect(fresh.pendingApprovals[0].input).toMatchObject({ cvv: '••••' });

  const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, SAGENT_TASK_QUEUE: fleet.taskQueue, NO_COLOR: '1' };
  await waitUntil(async () => {
    const listed = await fleet.sagent.versions(fleet.deployment);
    return listed.versions.filter((row) => row.openRuns === 1 && row.waitingForPerson === 1).length === 2;
  });
  const status = await sagentCli(env, 'status', waiting, '--json');
  expect(JSON.parse(status.stdout)).toMatchObject({
    status: 'awaiting_approval',
    version: { deployment: fleet.deployment, buildId: 'v1', behavior: 'pinned' },
  });

  await fleet.approve(waiting);
  const done = await fleet.waitFor(waiting, (view) => view.closed);
  expect(done.status).toBe('completed');
  expect(done.outcome?.finalText).toBe('Charged.');
  expect(done.version).toMatchObject({ buildId: 'v1' });
  expect(await charges(waiting)).toEqual([[`${waiting}/effect-1`, 'charge', 'active']]);

  await fleet.approve(after);
  const second = await fleet.waitFor(after, (view) => view.closed);
  expect(second.status).toBe('completed');
  expect(second.version).toMatchObject({ buildId: 'v2' });
  expect(await charges(after)).toEqual([[`${after}/effect-1`, 'charge', 'active']]);

  await waitUntil(async () => (await fleet.sagent.versions(fleet.deployment)).versions.find((row) => row.buildId === 'v1')?.drained === true);
  const listed = await sagentCli(env, 'versions', '--deployment', fleet.deployment, '--json');
  expect(listed.code).toBe(0);
  expect(JSON.parse(listed.stdout).versions).toEqual([
    expect.objectContaining({ version: `${fleet.deployment}:v1`, current: false, openRuns: 0, waitingForPerson: 0, drained: true }),
    expect.objectContaining({ version: `${fleet.deployment}:v2`, current: true, openRuns: 0, drained: false }),
  ]);
  const table = await sagentCli(env, 'versions', '--deployment', fleet.deployment);
  expect(table.stdout).toMatch(new RegExp(`${fleet.deployment}:v1 .*drained: may be retired`));
}, 600_000);

test('an auto-upgrade agent whose change sits behind patched(): the run waiting on v1 moves to v2 and completes', async () => {
  const fleet = shopFleet('deploy-auto');
  const v1 = await fleet.worker('v1');
  await fleet.makeCurrent('v1');
  const waiting = `deploy-auto-v1-${randomUUID().slice(0, 8)}`;
  await fleet.start(waiting, 'shop-auto');
  const before = await fleet.waitFor(waiting, (view) => view.status === 'awaiting_approval');
  expect(before.version).toMatchObject({ buildId: 'v1', behavior: 'auto_upgrade' });

  await fleet.worker('v2');
  await fleet.makeCurrent('v2');
  // Only v2 is left: the run can finish only by moving. The approval wakes it.
  await v1.stop();
  const [call] = before.pendingApprovals;
  await temporal.client.workflow
    .getHandle(waiting)
    .signal(approvalSignal, { callId: call.callId, argsHash: call.argsHash, decision: 'approve', approver: 'ana' });
  const done = await fleet.waitFor(waiting, (view) => view.closed, 60_000);
  expect({ status: done.status, detail: done.statusDetail }).toEqual({ status: 'completed', detail: null });
  expect(done.version).toMatchObject({ buildId: 'v2', behavior: 'auto_upgrade' });
  expect(await charges(waiting)).toEqual([[`${waiting}/effect-1`, 'charge', 'active']]);

  // A new run of v2 takes the patched rule: without a cvv its charge is refused before anything runs.
  const strict = `deploy-auto-nocvv-${randomUUID().slice(0, 8)}`;
  await fleet.start(strict, 'shop-auto');
  const refused = await fleet.waitFor(strict, (view) => view.closed);
  expect(refused.outcome?.finalText).toMatch(/invalid_arguments.*cvv/);
  expect(await charges(strict)).toEqual([]);
}, 600_000);

test('unversioned workers: the same change wedges a waiting run, and status, watch and pending say what fails and how to fix it', async () => {
  const fleet = shopFleet('deploy-unversioned');
  const v1 = await fleet.worker('v1', false);
  const waiting = `deploy-unversioned-v1-${randomUUID().slice(0, 8)}`;
  await fleet.start(waiting, 'shop');
  const before = await fleet.waitFor(waiting, (view) => view.status === 'awaiting_approval');
  expect(before.version).toBeNull();

  const [call] = before.pendingApprovals;
  await v1.stop();
  const v2 = await fleet.worker('v2', false);
  // The approval wakes the run on v2, which cannot replay what v1 recorded.
  await temporal.client.workflow
    .getHandle(waiting)
    .signal(approvalSignal, { callId: call.callId, argsHash: call.argsHash, decision: 'approve', approver: 'ana' });
  const wedged = await fleet.waitFor(waiting, (view) => view.workflowTaskFailure !== null, 60_000);
  expect(wedged.workflowTaskFailure).toMatchObject({ nonDeterminism: true, message: expect.stringMatching(/TMPRL1100/) });
  expect(wedged.statusDetail).toMatch(/cannot replay this run.*deploy the build that started it again.*SAGENT_BUILD_ID/);

  const env = { ...process.env, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, SAGENT_TASK_QUEUE: fleet.taskQueue, NO_COLOR: '1' };
  const status = await sagentCli(env, 'status', waiting);
  expect(status.stdout + status.stderr).toMatch(/TMPRL1100/);
  expect(status.stdout + status.stderr).not.toMatch(/npm run worker/);
  const json = JSON.parse((await sagentCli(env, 'status', waiting, '--json')).stdout);
  expect(json.workflowTaskFailure).toMatchObject({ nonDeterminism: true });
  const pending = await sagentCli(env, 'pending');
  expect(pending.stderr).toMatch(new RegExp(`run ${waiting} waits for approval but the worker cannot replay this run`));
  // The worker log says it too, with the fix.
  expect(v2.stderr()).toMatch(/TMPRL1100/);
  expect(v2.stderr()).toMatch(/sagent: a run cannot replay on this worker \(non-determinism, TMPRL1100\): .*deploy the build that started it again/);

  // The fix the message gives: deploy the old build again; the run resumes and the approval goes through.
  await v2.stop();
  await fleet.worker('v1', false);
  const done = await fleet.waitFor(waiting, (view) => view.closed, 60_000);
  expect(done.status).toBe('completed');
  expect(await charges(waiting)).toEqual([[`${waiting}/effect-1`, 'charge', 'active']]);
}, 600_000);
