/** The search attributes a run upserts as it goes, typed; the CLI and the workflow share these keys. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const AgentName = defineSearchAttributeKey('AgentName', SearchAttributeType.KEYWORD);
export const AgentStatus = defineSearchAttributeKey('AgentStatus', SearchAttributeType.KEYWORD);
export const AgentCostUsd = defineSearchAttributeKey('AgentCostUsd', SearchAttributeType.DOUBLE);
export const AgentSteps = defineSearchAttributeKey('AgentSteps', SearchAttributeType.INT);
export const AgentPendingApprovals = defineSearchAttributeKey('AgentPendingApprovals', SearchAttributeType.INT);
/** Who started the run (`sagent start --as`), set at start: find every run a user started. */
export const AgentPrincipal = defineSearchAttributeKey('AgentPrincipal', SearchAttributeType.KEYWORD);
/** The tenant the run acts for (`sagent start --tenant`), set at start. */
export const AgentTenant = defineSearchAttributeKey('AgentTenant', SearchAttributeType.KEYWORD);
