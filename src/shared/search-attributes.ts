/** The search attributes a run upserts as it goes, typed; the CLI and the workflow share these keys. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The run's agent name (Keyword), for the workflow list: `AgentName = "travel"`. */
export const AgentName = defineSearchAttributeKey('AgentName', SearchAttributeType.KEYWORD);
/** The run's status (Keyword, one of {@link RUN_STATUSES}), e.g. `AgentStatus = "awaiting_approval"`. */
export const AgentStatus = defineSearchAttributeKey('AgentStatus', SearchAttributeType.KEYWORD);
/** What the run has spent so far, in USD (Double). */
export const AgentCostUsd = defineSearchAttributeKey('AgentCostUsd', SearchAttributeType.DOUBLE);
/** Model turns the run has taken (Int). */
export const AgentSteps = defineSearchAttributeKey('AgentSteps', SearchAttributeType.INT);
/** Calls of the run waiting for a decision (Int): `AgentPendingApprovals > 0` lists the runs to approve. */
export const AgentPendingApprovals = defineSearchAttributeKey('AgentPendingApprovals', SearchAttributeType.INT);
/** Who started the run (`sagent start --as`), set at start: find every run a user started. */
export const AgentPrincipal = defineSearchAttributeKey('AgentPrincipal', SearchAttributeType.KEYWORD);
/** The tenant the run acts for (`sagent start --tenant`), set at start. */
export const AgentTenant = defineSearchAttributeKey('AgentTenant', SearchAttributeType.KEYWORD);
