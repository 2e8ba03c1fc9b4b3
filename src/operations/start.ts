/** Starting a run: its input checked the way the workflow checks it, then confirmed by the first workflow task. */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ACCEPT_TIMEOUT_MS, WORKFLOW_TYPE } from '../shared/constants';
import type { AgentRunInput, ApproverInput } from '../shared/contracts';
import type { RunPolicyInput } from '../shared/policy';
import { maskFreeText } from '../policies/secrets';
import { codeBlock, plainText } from '../shared/markdown';
import { checkRunInput } from '../shared/run-input';
import { AgentCostUsd, AgentName, AgentPendingApprovals, AgentPrincipal, AgentStatus, AgentSteps, AgentTenant } from '../shared/search-attributes';
import type { AgentSagaWorkflow } from '../workflows/agent-saga';
import type { ClientContext } from './context';
import { InvalidRunInputError, RunAlreadyExistsError, RunInputRefusedError } from './errors';

/** A run's input as flat options, the way `sagent start` takes them. */
export interface RunRequest {
  /** The agent, as the worker registers it; an unknown name is refused by the run. */
  agent: string;
  /** What the agent should do. */
  task: string;
  /**
   * Who may approve risky calls: `alice`, or `alice:<publicKey>` (hex, from `sagent keys create`) so that only
   * alice's signature counts. With none, risky calls are refused unless `anyApprover`.
   */
  approver?: string[];
  /** Let anyone who can signal the run decide, under any name (attribution only). */
  anyApprover?: boolean;
  /** Tools that also need an approval before they run. */
  requireApproval?: string[];
  /** Offer only these tools. */
  allowTool?: string[];
  /** Model turns the run may take. */
  maxSteps?: number;
  /** Cost the run may reach, in USD. */
  budgetUsd?: number;
  /** The Claude model. @default env.SAGENT_MODEL, else the worker's default */
  model?: string;
  /** Who starts the run (recorded in the AgentPrincipal search attribute, the audit trail and the timeline). */
  as?: string;
  /** The tenant the run acts for (AgentTenant). */
  tenant?: string;
  /** The run's own rules, as JSON: they may ask or deny, never allow (see `RunPolicyRule`). */
  policy?: RunPolicyInput;
}

/**
 * Builds and checks a run's input the way the workflow will: SAGENT_MODEL and SAGENT_ESCALATION_MODEL from `env`
 * fill in the models. Throws {@link InvalidRunInputError} naming the field to fix.
 */
export function buildRunInput(request: RunRequest, env: NodeJS.ProcessEnv = process.env): AgentRunInput {
  const approval = {
    ...(request.approver?.length ? { approvers: request.approver.map(parseApprover) } : {}),
    ...(request.anyApprover ? { anyNamespaceUser: true } : {}),
    ...(request.requireApproval?.length ? { requireFor: request.requireApproval } : {}),
  };
  const budget = {
    ...(request.maxSteps !== undefined ? { maxSteps: request.maxSteps } : {}),
    ...(request.budgetUsd !== undefined ? { maxCostUsd: request.budgetUsd } : {}),
  };
  const model = request.model ?? env.SAGENT_MODEL;
  return checkedRunInput({
    agent: request.agent,
    task: request.task,
    ...(Object.keys(approval).length > 0 ? { approval } : {}),
    ...(Object.keys(budget).length > 0 ? { budget } : {}),
    ...(request.allowTool?.length ? { allowedTools: request.allowTool } : {}),
    ...(request.as !== undefined ? { identity: { principal: request.as, ...(request.tenant !== undefined ? { tenant: request.tenant } : {}) } } : {}),
    ...(request.as === undefined && request.tenant !== undefined ? { identity: { principal: '', tenant: request.tenant } } : {}),
    ...(request.policy ? { policy: request.policy } : {}),
    // The model is part of the run's input, so its history says which model it used.
    ...(model ? { model } : {}),
    ...(env.SAGENT_ESCALATION_MODEL ? { escalationModel: env.SAGENT_ESCALATION_MODEL } : {}),
  });
}

/** The input as the workflow will normalise it; {@link InvalidRunInputError} otherwise. */
export function checkedRunInput(input: AgentRunInput): AgentRunInput {
  const checked = checkRunInput(input);
  if (!checked.success) throw new InvalidRunInputError(checked.error);
  return checked.data;
}

/** `<agent>-<8 random hex>`: ids are never reused, since effect ids (the services' idempotency keys) derive from them. */
export function newWorkflowId(agent: string): string {
  return `${agent}-${randomBytes(4).toString('hex')}`;
}

/** How `SagentClient.start` starts a run: its workflow id, and how long it waits for a worker to take it. */
export interface StartOptions {
  /** @default `<agent>-<8 random hex>` */
  workflowId?: string;
  /** How long to wait for a worker to take the first workflow task. @default ACCEPT_TIMEOUT_MS (5 s) */
  acceptTimeoutMs?: number;
  /** The last paragraph of the run's static details in the UI. @default 'Started with `sagent start`.' */
  startedBy?: string;
}

/** A started run: its ids, and whether a worker took its first workflow task in time. */
export interface StartedRun {
  workflowId: string;
  runId: string;
  /** False when no worker took the first workflow task in time: the run waits for one. */
  accepted: boolean;
}

/**
 * Starts a run: REJECT_DUPLICATE, the search attributes the workflow list filters on, and a summary and details the
 * UI shows before the first step; then waits for the first workflow task, where the worker (which alone knows its
 * agents) checks the input.
 */
export async function startRun(ctx: ClientContext, input: AgentRunInput, options: StartOptions = {}): Promise<StartedRun> {
  const checked = checkedRunInput(input);
  const workflowId = options.workflowId ?? newWorkflowId(checked.agent);
  let handle: WorkflowHandleWithFirstExecutionRunId<AgentSagaWorkflow>;
  try {
    handle = await ctx.client.workflow.start<AgentSagaWorkflow>(WORKFLOW_TYPE, {
      taskQueue: ctx.taskQueue,
      workflowId,
      args: [checked],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // Eager start hands the first task to a worker in this process, past Worker Versioning's routing.
      requestEagerStart: false,
      // AgentName also tells the worker the agent's versioning behaviour before the input is decoded.
      typedSearchAttributes: [
        { key: AgentName, value: checked.agent },
        { key: AgentStatus, value: 'running' },
        // A run's first view as the workflow would publish it: its start then upserts nothing of its own.
        { key: AgentSteps, value: 0 },
        { key: AgentCostUsd, value: 0 },
        { key: AgentPendingApprovals, value: 0 },
        ...(checked.identity ? [{ key: AgentPrincipal, value: checked.identity.principal }] : []),
        ...(checked.identity?.tenant ? [{ key: AgentTenant, value: checked.identity.tenant }] : []),
      ],
      // The UI shows these without the codec: card numbers and e-mail addresses in the task are masked, Markdown escaped.
      staticSummary: `${plainText(checked.agent)}: ${plainText(cut(maskFreeText(checked.task.replace(/\s+/g, ' ')), 120))}`,
      staticDetails: staticDetails(checked, options.startedBy ?? 'Started with `sagent start`.'),
    });
  } catch (err) {
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') throw new RunAlreadyExistsError(workflowId, ctx.namespace);
    throw err;
  }
  const accepted = await waitForAcceptance(handle, options.acceptTimeoutMs ?? ACCEPT_TIMEOUT_MS);
  return { workflowId, runId: handle.firstExecutionRunId, accepted };
}

/** True once the first workflow task went through; {@link RunInputRefusedError} when the run failed at once. */
async function waitForAcceptance(handle: WorkflowHandle, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await handle.describe();
    if (description.status.name === 'FAILED') {
      const failure = await handle.result().then(
        () => null,
        (err: unknown) => err as { cause?: { message?: string }; message?: string },
      );
      throw new RunInputRefusedError(handle.workflowId, failure?.cause?.message ?? failure?.message ?? 'it failed at once');
    }
    // Started, scheduled, started, completed: the first workflow task went through.
    if (description.status.name !== 'RUNNING' || description.historyLength >= 4) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `alice` or `alice:<64 hex>`; the run input's schema checks the key. */
function parseApprover(text: string): ApproverInput {
  const at = text.lastIndexOf(':');
  return at > 0 ? { name: text.slice(0, at), publicKey: text.slice(at + 1) } : text;
}

function staticDetails(input: AgentRunInput, startedBy: string): string {
  const lines = [`**Task**\n\n${codeBlock(cut(maskFreeText(input.task), 4000))}`];
  if (input.approval?.approvers?.length) {
    const names = input.approval.approvers.map((approver) =>
      typeof approver === 'string' ? approver : `${approver.name} (key ${approver.publicKey.slice(0, 12)}…)`,
    );
    lines.push(`**Approvers**: ${plainText(names.join(', '))}`);
  } else if (input.approval?.anyNamespaceUser) {
    lines.push('**Approvers**: any namespace user (names are not checked)');
  }
  if (input.approval?.requireFor?.length) lines.push(`**Also needs approval**: ${plainText(input.approval.requireFor.join(', '))}`);
  if (input.allowedTools?.length) lines.push(`**Tools allowed**: ${plainText(input.allowedTools.join(', '))}`);
  if (input.budget) lines.push(`**Budget**: ${plainText(JSON.stringify(input.budget))}`);
  if (input.model) lines.push(`**Model**: ${plainText(input.model)}`);
  if (input.identity)
    lines.push(`**Started by**: ${plainText(input.identity.principal)}${input.identity.tenant ? ` for tenant ${plainText(input.identity.tenant)}` : ''}`);
  if (input.policy?.rules?.length) lines.push(`**Run rules**: ${plainText(input.policy.rules.map((rule) => `${rule.id} (${rule.verdict})`).join(', '))}`);
  lines.push(startedBy);
  return lines.join('\n\n');
}

function cut(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
