/** The search attributes a run upserts as it goes, typed; the CLI and the workflow share these keys. */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const AgentName = defineSearchAttributeKey('AgentName', SearchAttributeType.KEYWORD);
export const AgentStatus = defineSearchAttributeKey('AgentStatus', SearchAttributeType.KEYWORD);
export const AgentCostUsd = defineSearchAttributeKey('AgentCostUsd', SearchAttributeType.DOUBLE);
export const AgentSteps = defineSearchAttributeKey('AgentSteps', SearchAttributeType.INT);
export const AgentPendingApprovals = defineSearchAttributeKey('AgentPendingApprovals', SearchAttributeType.INT);
