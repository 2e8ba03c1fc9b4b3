/** A run's audit trail: every decision in order (identity, policy rule, approval and signature, refusal, taint, budget). */
import type { AuditEntry, RunIdentity } from '../shared/policy';
import type { RunStatus } from '../shared/contracts';
import { handleOf, queryState, type ClientContext } from './context';

/** What `SagentClient.audit` and `sagent audit` return for one run. */
export interface RunAudit {
  /** The run's workflow id. */
  workflowId: string;
  /** The agent the run runs. */
  agent: string;
  /** The run's status now. */
  status: RunStatus;
  /** Who started the run and for whom; null when it names nobody. */
  identity: RunIdentity | null;
  /** In order; empty for runs of code older than the audit trail. */
  entries: AuditEntry[];
}

/** The run's audit trail, read from the run itself (a worker must answer for it, running or closed). */
export async function auditOf(ctx: ClientContext, workflowId: string): Promise<RunAudit> {
  const state = await queryState(ctx, handleOf(ctx, workflowId));
  return { workflowId, agent: state.agent, status: state.status, identity: state.identity ?? null, entries: state.audit ?? [] };
}

/** One line per decision, as `sagent audit` prints it. */
export function auditLine(entry: AuditEntry): string {
  const where = [entry.tool, entry.callId, entry.effectId].filter(Boolean).join(' · ');
  const who = entry.approver ? ` by ${entry.approver}` : '';
  const signed = entry.signatureFingerprint ? ` (signed, key fingerprint ${entry.signatureFingerprint})` : '';
  const rule = entry.rule ? ` [${entry.rule}]` : '';
  const turn = entry.turn !== undefined ? ` turn ${entry.turn}` : '';
  return `${entry.at}${turn}  ${entry.kind.padEnd(10)} ${entry.decision}${who}${signed}${rule}${where ? `  ${where}` : ''}${entry.reason ? `: ${entry.reason}` : ''}`;
}
