/**
 * The run's identity and access, settled once at its first start: the worker answers which tools the principal may
 * use (one activity, so the answer is in history), and continue-as-new carries the answer.
 */
import { log, workflowInfo } from '@temporalio/workflow';
import type { AccessGrant } from '../shared/policy';
import type { AgentRunInput } from '../shared/run';
import type { AgentRegistry } from '../tools/define';
import { activities } from './activity-options';
import { resolveSettings } from './settings';

const { resolveAccess } = activities;

const ACCESS_OPTIONS = { startToCloseTimeout: '10s', scheduleToCloseTimeout: '5 minutes', retry: { initialInterval: '1s', maximumInterval: '30s' } } as const;

/** The grant carried from the run before, or the worker's answer for this run's principal. */
export async function accessFor(input: AgentRunInput, agents: AgentRegistry): Promise<AccessGrant | undefined> {
  if (input.carried) return input.carried.access;
  // Bad input is refused before anything is scheduled, as fast as it was before the access map existed.
  const { agent } = resolveSettings(input, agents, workflowInfo().workflowId);
  const principal = input.identity?.principal ?? 'nobody named';
  const grant = await resolveAccess.executeWithOptions({ ...ACCESS_OPTIONS, summary: `access · ${principal}` }, [
    {
      agent: agent.name,
      principal: input.identity?.principal ?? null,
      tenant: input.identity?.tenant ?? null,
      tools: agent.tools.filter((tool) => !tool.control).map((tool) => tool.name),
    },
  ]);
  log.info('run access resolved', { principal: input.identity?.principal ?? null, tenant: input.identity?.tenant ?? null, roles: grant.roles });
  return grant;
}
