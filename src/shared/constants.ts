/** Names and defaults shared by the workflow, the worker and the CLI. */

export const DEFAULT_TASK_QUEUE = 'sagent';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_MODEL = 'claude-sonnet-4-6';
export const DEFAULT_ESCALATION_MODEL = 'claude-opus-4-6';
export const WORKFLOW_TYPE = 'agentSaga';

/** Search attributes sagent sets as a run goes; registered on the dev server and in docker-compose. */
export const SEARCH_ATTRIBUTES = {
  AgentName: 'Keyword',
  AgentStatus: 'Keyword',
  AgentCostUsd: 'Double',
  AgentSteps: 'Int',
  AgentPendingApprovals: 'Int',
} as const;

/** Headers that tell a Messages-API server which run and turn a request belongs to. */
export const RUN_HEADER = 'x-sagent-run';
export const TURN_HEADER = 'x-sagent-turn';
