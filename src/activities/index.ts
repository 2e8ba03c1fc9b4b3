/**
 * Activities are a factory, so tests inject fakes for the outside world and the worker injects the real
 * thing. Workflows see them only as a type.
 */
import { createMcpActivities, type McpDeps } from '../mcp/activities';
import { createAccessActivities, type AccessDeps } from './access';
import { createAutoVerdictActivities, type AutoVerdictDeps } from './auto-verdict';
import { createModelActivities, type ModelDeps } from './model';
import { createNotifyActivities, type NotifyDeps } from './notify';
import { createToolActivities, type ToolDeps } from './tools';

/** What the activities need from the outside world: the model client, the tools' implementations, the notifier, the MCP servers, the access map, the `auto` verdict source. */
export type ActivityDeps = ModelDeps & ToolDeps & NotifyDeps & McpDeps & AccessDeps & AutoVerdictDeps;

/** sagent's activities (model call, tool call, compensation, notify, MCP), built over `deps` so tests can inject fakes. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createModelActivities(deps),
    ...createToolActivities(deps),
    ...createNotifyActivities(deps),
    ...createMcpActivities(deps),
    ...createAccessActivities(deps),
    ...createAutoVerdictActivities(deps),
  };
}

/** The activities `createActivities` returns, by name; workflows see them only as this type. */
export type Activities = ReturnType<typeof createActivities>;
