/**
 * sagent's test kit (`sagent/testing`): a local Temporal dev server and a scripted Messages-API server, so your
 * agents' tests run the real Temporal server and the real Anthropic SDK offline.
 *
 * @packageDocumentation
 */
export { ensureDevServer, stopDevServer, findTemporalCli, type DevServer, type DevServerOptions } from './dev/temporal';
export { startModelServer, type ModelServer, type ModelServerOptions } from './dev/model-server';
export {
  loadScenarios,
  parseScenario,
  type RespondingScenario,
  type Scenario,
  type ScenarioMatch,
  type ScriptedScenario,
  type ToolResultSeen,
  type TurnContext,
  type TurnSpec,
} from './dev/scenario';
export { freePorts } from './dev/ports';
export { startScratchDevServer, type ScratchDevServerOptions } from './dev/scratch-server';
