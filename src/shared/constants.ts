/** Names and defaults shared by the workflow, the worker and the CLI. */

/** The task queue workers poll and runs start on when none is named (SAGENT_TASK_QUEUE). */
export const DEFAULT_TASK_QUEUE = 'sagent';
export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_MODEL = 'claude-sonnet-4-6';
export const DEFAULT_ESCALATION_MODEL = 'claude-opus-4-6';
/** The workflow type every agent run has, whatever its agent: a persisted name. */
export const WORKFLOW_TYPE = 'agentSaga';
/** The Worker Deployment of a versioned worker when none is named (SAGENT_DEPLOYMENT). */
export const DEFAULT_DEPLOYMENT_NAME = 'sagent';

/** What a person does about a run whose code changed under it (a non-determinism error), as the worker log and the CLI say. */
export const NON_DETERMINISM_FIX =
  'the code that polls this task queue is not the code this run started on: deploy the build that started it again (the run resumes where it stopped), or version your workers (SAGENT_BUILD_ID; see docs/DEPLOY.md) so a run stays on its build';

/** The dev server's Web UI, for run links; SAGENT_UI_URL overrides it. */
export const DEFAULT_UI_URL = 'http://localhost:8233';
/** Temporal Cloud's Web UI, for run links when the address is a `*.tmprl.cloud` endpoint. */
export const CLOUD_UI_URL = 'https://cloud.temporal.io';

/** How long to wait for the Temporal frontend before saying it is unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;
/** How long a query of a live run may take before the client treats it as having no worker. */
export const QUERY_TIMEOUT_MS = 5_000;
/** The shorter query deadline for a closed run's state and for each run `pending` lists. */
export const SHORT_QUERY_TIMEOUT_MS = 3_000;
/** How long `start` waits for a worker to accept a run (its first workflow task) before it says none did. */
export const ACCEPT_TIMEOUT_MS = 5_000;
/** How long a signalled decision is read back before the client says it has not taken effect. */
export const SIGNAL_READBACK_MS = 5_000;
/** How often a followed run's state is read. */
export const FOLLOW_POLL_MS = 500;
/** How long the services' ledger may take to answer a cross-check. */
export const SERVICES_TIMEOUT_MS = 1_500;

/** Search attributes sagent sets as a run goes; registered on the dev server and in docker-compose. */
export const SEARCH_ATTRIBUTES = {
  AgentName: 'Keyword',
  AgentStatus: 'Keyword',
  AgentCostUsd: 'Double',
  AgentSteps: 'Int',
  AgentPendingApprovals: 'Int',
  AgentPrincipal: 'Keyword',
  AgentTenant: 'Keyword',
} as const;

/** Headers that tell a Messages-API server which run and turn a request belongs to. */
export const RUN_HEADER = 'x-sagent-run';
export const TURN_HEADER = 'x-sagent-turn';
