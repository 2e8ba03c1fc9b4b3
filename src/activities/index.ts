/**
 * Activities are a factory, so tests inject fakes for the outside world and the worker injects the real
 * thing. Workflows see them only as a type.
 */
import { createMcpActivities, type McpDeps } from '../mcp/activities';
import { createAccessActivities, type AccessDeps } from './access';
import { createModelActivities, type ModelDeps } from './model';
import { createNotifyActivities, type NotifyDeps } from './notify';
import { createToolActivities, type ToolDeps } from './tools';

export type ActivityDeps = ModelDeps & ToolDeps & NotifyDeps & McpDeps & AccessDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createModelActivities(deps),
    ...createToolActivities(deps),
    ...createNotifyActivities(deps),
    ...createMcpActivities(deps),
    ...createAccessActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
