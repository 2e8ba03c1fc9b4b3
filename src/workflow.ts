/**
 * sagent's workflow-safe entry (`sagent/workflow`): what a workflows file and an agent's definition file may import.
 * Everything here runs inside Temporal's workflow sandbox: no Node built-ins, no I/O, no clocks but the workflow's.
 *
 * ```ts
 * // workflows.ts, bundled by your worker
 * import { createAgentSaga } from 'sagent/workflow';
 * import { myAgent } from './my-agent';
 * export const agentSaga = createAgentSaga([myAgent]);
 * ```
 */
export { createAgentSaga, type AgentSagaWorkflow } from './workflows/agent-saga';
export { sagentBreakerBoard } from './workflows/breaker-board';
export {
  breakerBoardId,
  BREAKER_BOARD_WORKFLOW,
  breakerBoardQuery,
  breakerOverrideUpdate,
  breakerReportSignal,
  type BreakerBoardState,
  type BreakerOverride,
  type BreakerOverrideRequest,
  type BreakerPosition,
  type BreakerView,
  type WorkerBreakerReport,
} from './shared/breakers';
export {
  abortTool,
  agentRegistry,
  changesWorld,
  defineAgent,
  defineTool,
  delegateTool,
  isCompensable,
  type AgentDefinition,
  type AgentRegistry,
  type AgentSpec,
  type DelegateSpec,
  type ToolBreakerSpec,
  type ToolDelegation,
  type ToolControl,
  type ToolDefinition,
  type ToolReconcile,
  type ToolRisk,
  type ToolSpec,
} from './tools/define';
export {
  ToolError,
  type CompensationContext,
  type CompensationResult,
  type EffectCheck,
  type ToolContext,
  type ToolImplementation,
  type ToolImplementations,
} from './tools/runtime';
export * from './shared/contracts';
export type * from './shared/wire';
export { STOP_REASONS } from './shared/wire';
export { DEFAULT_TASK_QUEUE, WORKFLOW_TYPE, SEARCH_ATTRIBUTES } from './shared/constants';
export { AgentName, AgentStatus, AgentCostUsd, AgentSteps, AgentPendingApprovals } from './shared/search-attributes';
export {
  MCP_FAILURE_TYPES,
  MCP_IDEMPOTENCY_KEY_META,
  mcpToolsQuery,
  type ListMcpToolsInput,
  type McpBinding,
  type McpServerListing,
  type McpToolAnnotations,
  type McpToolRecord,
} from './shared/mcp';
export { mcpToolDefinition, withMcpTools } from './tools/mcp';
export { jsonSchemaInput } from './tools/json-schema';
export { mcpRetrySafe, mcpToolRisk, type McpRiskDecision } from './policies/mcp-risk';
