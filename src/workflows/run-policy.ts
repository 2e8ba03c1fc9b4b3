/**
 * The run's audit trail and taint, kept in the run memory: who started it and what they may use, and the untrusted
 * content its calls read (after which every state-changing call asks a person).
 */
import { isUntrustedOutput } from '../policies/tool-policy';
import type { AccessGrant, TaintSource } from '../shared/policy';
import type { TurnInFlight } from '../shared/records';
import { readKeyOf } from './tool-pipeline';
import type { Run } from './run-memory';

/** Opens the audit trail; the first run of a chain records its identity and the tools its principal may use. */
export function openAudit(run: Run, access: AccessGrant | undefined): void {
  const { memory, settings, timeline } = run;
  if (access) memory.access = access;
  if (memory.audit) return;
  memory.audit = [];
  const { identity } = settings;
  const who = identity ? `${identity.principal}${identity.tenant ? ` for tenant ${identity.tenant}` : ''}` : 'nobody named';
  const tools = access?.allowed
    ? `tools allowed by role (${access.roles.join(', ') || 'none'}): ${access.allowed.join(', ') || 'none'}`
    : 'every tool of the agent';
  memory.audit.push({
    at: new Date(Date.now()).toISOString(),
    kind: 'identity',
    decision: 'started',
    ...(identity ? { approver: identity.principal } : {}),
    reason: `started by ${who}; ${tools}`,
  });
  if (identity || access?.allowed) timeline.note('run', `started by ${who}`, 'info', tools);
}

/** Taints the run with the untrusted output its calls of this turn read. */
export function noteUntrustedReads(run: Run, turn: TurnInFlight): void {
  const { memory, settings, timeline } = run;
  turn.calls.forEach((call, index) => {
    if (call.status !== 'done' || call.result.is_error) return;
    const tool = settings.agent.toolsByName[call.tool];
    if (!tool || !isUntrustedOutput(tool, settings.agent.policy)) return;
    const source: TaintSource = {
      tool: tool.name,
      turn: turn.turn,
      effectId: call.changesWorld ? call.effectId : readKeyOf(settings.workflowId, turn.turn, index),
    };
    memory.taint = [...(memory.taint ?? []), source].slice(-20);
    memory.audit?.push({
      at: new Date(Date.now()).toISOString(),
      kind: 'taint',
      decision: 'read',
      tool: tool.name,
      turn: turn.turn,
      effectId: source.effectId,
      reason: 'untrusted content read: every state-changing call from here on asks a person',
    });
    timeline.note(
      'run',
      `untrusted content read: ${tool.name}`,
      'info',
      'state-changing calls from here on wait for a person',
      call.changesWorld ? call.effectId : undefined,
    );
  });
}
