/**
 * Worker Versioning as a user of sagent sees it: the build a run is on, the runs each build still holds (and how
 * many wait for a person), so an old build is retired only once drained, and why a run no worker can advance is stuck.
 */
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NON_DETERMINISM_FIX, WORKFLOW_TYPE } from '../shared/constants';
import { AgentStatus } from '../shared/search-attributes';
import { grpcCode, type ClientContext, type WorkflowTaskFailure } from './client-context';

export type { WorkflowTaskFailure } from './client-context';
import { oneLine } from './errors';

type VersioningInfo = temporal.api.workflow.v1.IWorkflowExecutionVersioningInfo;
const { VersioningBehavior, WorkflowTaskFailedCause, EventType } = temporal.api.enums.v1;

/** The Worker Deployment Version a run is on; null for a run of unversioned workers. */
export interface RunVersion {
  deployment: string;
  buildId: string;
  /** `pinned`: it finishes on this build; `auto_upgrade`: it moves to the current build at its next step. */
  behavior: 'pinned' | 'auto_upgrade' | null;
  /** Set when an operator moved the run (`temporal workflow update-options --versioning-override-*`). */
  override: string | null;
}

/** The version `versioningInfo` names; an operator's pinned override wins over the build the run started on. */
export function runVersionOf(description: Pick<WorkflowExecutionDescription, 'raw'>): RunVersion | null {
  return versionFromInfo(description.raw.workflowExecutionInfo?.versioningInfo);
}

function versionFromInfo(info: VersioningInfo | null | undefined): RunVersion | null {
  const version = info?.deploymentVersion;
  const pinnedTo = info?.versioningOverride?.pinned?.version;
  const override = pinnedTo?.buildId
    ? `pinned to ${pinnedTo.deploymentName}:${pinnedTo.buildId}`
    : info?.versioningOverride?.autoUpgrade
      ? 'auto_upgrade'
      : null;
  const effective = pinnedTo?.buildId ? pinnedTo : version;
  if (!effective?.buildId) return null;
  return { deployment: effective.deploymentName ?? '', buildId: effective.buildId, behavior: behaviorOf(info?.behavior), override };
}

/** The behaviour as the enum's number, its proto name, or the visibility store's word. */
function behaviorOf(behavior: unknown): RunVersion['behavior'] {
  if (behavior === VersioningBehavior.VERSIONING_BEHAVIOR_PINNED || behavior === 'VERSIONING_BEHAVIOR_PINNED' || behavior === 'Pinned') return 'pinned';
  if (behavior === VersioningBehavior.VERSIONING_BEHAVIOR_AUTO_UPGRADE || behavior === 'VERSIONING_BEHAVIOR_AUTO_UPGRADE' || behavior === 'AutoUpgrade')
    return 'auto_upgrade';
  return null;
}

/**
 * The version of a listed run, from the system search attributes the server keeps (the list carries no versioning
 * info): `TemporalWorkerDeployment`, and `TemporalWorkerDeploymentVersion` as `<deployment>:<build>` (or `.`).
 */
function versionFromSearchAttributes(attributes: Record<string, unknown>): RunVersion | null {
  const first = (name: string) => (Array.isArray(attributes[name]) ? (attributes[name] as unknown[])[0] : attributes[name]);
  const deployment = first('TemporalWorkerDeployment');
  const version = first('TemporalWorkerDeploymentVersion');
  if (typeof deployment !== 'string' || typeof version !== 'string' || !version.startsWith(deployment) || version.length <= deployment.length + 1) return null;
  return { deployment, buildId: version.slice(deployment.length + 1), behavior: behaviorOf(first('TemporalWorkflowVersioningBehavior')), override: null };
}

/** `deployment:build`, or `unversioned`. */
export function versionLabel(version: RunVersion | null): string {
  return version ? `${version.deployment}:${version.buildId}` : 'unversioned';
}

const OTHER_FAILURE_FIX =
  'a bug in the workflow code or the agent definition on the worker: fix it and deploy the fix (the run retries its task and resumes), see the worker log';

/**
 * The failure of the run's workflow task when it keeps failing (the server retries it without end), from the pending
 * workflow task and the newest WorkflowTaskFailed event; null when the run's last workflow task went through.
 */
export async function workflowTaskFailure(ctx: ClientContext, workflowId: string): Promise<WorkflowTaskFailure | null> {
  const { workflowService } = ctx.client;
  let description;
  try {
    description = await workflowService.describeWorkflowExecution({ namespace: ctx.namespace, execution: { workflowId } });
  } catch (err) {
    if (grpcCode(err) === 5) return null;
    throw err;
  }
  const attempt = description.pendingWorkflowTask?.attempt ?? 0;
  const runId = description.workflowExecutionInfo?.execution?.runId ?? undefined;
  if (attempt < 2 || !runId) return null;
  const history = await workflowService.getWorkflowExecutionHistoryReverse({ namespace: ctx.namespace, execution: { workflowId, runId }, maximumPageSize: 50 });
  for (const event of history.history?.events ?? []) {
    if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return null;
    const failed = event.workflowTaskFailedEventAttributes;
    if (!failed) continue;
    const message = oneLine(failed.failure?.message || 'the workflow task failed');
    const nonDeterminism =
      failed.cause === WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR || /TMPRL1100|nondetermin/i.test(message);
    return { attempt, message, nonDeterminism, fix: nonDeterminism ? NON_DETERMINISM_FIX : OTHER_FAILURE_FIX };
  }
  return null;
}

/** One line for a person: what is wrong, the failure, what to do. */
export function describeTaskFailure(failure: WorkflowTaskFailure): string {
  const what = failure.nonDeterminism ? 'the worker cannot replay this run (non-determinism)' : 'the worker cannot advance this run';
  return `${what}: its workflow task failed ${failure.attempt - 1} time(s): ${failure.message}. To fix: ${failure.fix}`;
}

/** One build of the deployment, or the unversioned workers, with the agent runs it still holds. */
export interface VersionRow {
  /** `deployment:build`, or `unversioned`. */
  version: string;
  buildId: string | null;
  current: boolean;
  /** The share of new runs it takes while ramping, in percent; null when not ramping. */
  rampingPercent: number | null;
  /** Open agent runs on it. */
  openRuns: number;
  /** Of those, runs waiting for a person: an approval or a budget top-up. */
  waitingForPerson: number;
  /** No open run, neither current nor ramping, and it took runs once: its workers may be stopped and the version deleted. */
  drained: boolean;
  /** The server's word for the version: inactive (never took runs), current, ramping, draining, drained; null for unversioned. */
  serverStatus: string | null;
}

/** Every build of a Worker Deployment the server knows, with the runs left on each. */
export interface DeploymentVersions {
  deployment: string;
  /** False when the server knows no such Worker Deployment (no versioned worker polled yet). */
  known: boolean;
  versions: VersionRow[];
}

const WAITING_FOR_PERSON = new Set(['awaiting_approval', 'budget_exhausted']);

/**
 * Every build of `deployment` the server knows, and the unversioned workers when runs are left on them, with their
 * open agent runs on this task queue (the workflow list is eventually consistent: a run started a moment ago may take
 * a second to count).
 */
export async function listVersions(ctx: ClientContext, deployment: string): Promise<DeploymentVersions> {
  const { workflowService } = ctx.client;
  let info: temporal.api.deployment.v1.IWorkerDeploymentInfo | null | undefined;
  try {
    info = (await workflowService.describeWorkerDeployment({ namespace: ctx.namespace, deploymentName: deployment })).workerDeploymentInfo;
  } catch (err) {
    if (grpcCode(err) !== 5) throw err;
  }
  const routing = info?.routingConfig;
  const rows = new Map<string, VersionRow>();
  const row = (version: string, buildId: string | null): VersionRow => {
    let found = rows.get(version);
    if (!found) {
      found = {
        version,
        buildId,
        current: buildId !== null && routing?.currentDeploymentVersion?.buildId === buildId,
        rampingPercent: buildId !== null && routing?.rampingDeploymentVersion?.buildId === buildId ? (routing.rampingVersionPercentage ?? 0) : null,
        openRuns: 0,
        waitingForPerson: 0,
        drained: false,
        serverStatus: null,
      };
      rows.set(version, found);
    }
    return found;
  };
  for (const summary of info?.versionSummaries ?? []) {
    const buildId = summary.deploymentVersion?.buildId;
    if (buildId) row(`${deployment}:${buildId}`, buildId).serverStatus = serverStatusOf(summary.status);
  }
  const query = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND TaskQueue = '${ctx.taskQueue.replace(/'/g, "\\'")}'`;
  for await (const execution of ctx.client.workflow.list({ query })) {
    const version = versionFromInfo(execution.raw.versioningInfo) ?? versionFromSearchAttributes(execution.searchAttributes as Record<string, unknown>);
    if (version && version.deployment !== deployment) continue;
    const entry = row(versionLabel(version), version?.buildId ?? null);
    entry.openRuns += 1;
    if (WAITING_FOR_PERSON.has(execution.typedSearchAttributes.get(AgentStatus) ?? '')) entry.waitingForPerson += 1;
  }
  const versions = [...rows.values()]
    .sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }))
    .map((entry) => ({
      ...entry,
      drained: entry.openRuns === 0 && !entry.current && entry.rampingPercent === null && entry.buildId !== null && entry.serverStatus !== 'inactive',
    }));
  return { deployment, known: info !== undefined && info !== null, versions: versions.filter((entry) => entry.buildId !== null || entry.openRuns > 0) };
}

/** `WORKER_DEPLOYMENT_VERSION_STATUS_DRAINING` as `draining`. */
function serverStatusOf(status: unknown): string | null {
  const name = typeof status === 'number' ? temporal.api.enums.v1.WorkerDeploymentVersionStatus[status] : status;
  return typeof name === 'string' ? name.replace(/^WORKER_DEPLOYMENT_VERSION_STATUS_/, '').toLowerCase() : null;
}
