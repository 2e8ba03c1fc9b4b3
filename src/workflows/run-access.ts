/**
 * The run's identity and access, settled once at its first start: the worker answers which tools the principal may
 * use (one activity, so the answer is in history; a local one on runs with the lean start, so it costs no round trip
 * to the server), and continue-as-new carries the answer.
 */
import { log, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AccessGrant } from '../shared/policy';
import type { AgentRunInput } from '../shared/run';
import type { AgentDefinition } from '../tools/define';
import { activities } from './activity-options';

const { resolveAccess } = activities;

const ACCESS_OPTIONS = { startToCloseTimeout: '10s', scheduleToCloseTimeout: '5 minutes', retry: { initialInterval: '1s', maximumInterval: '30s' } } as const;

// The same activity, run by the worker that holds the run's task; its answer is a marker in history.
const { resolveAccess: resolveAccessLocally } = proxyLocalActivities<Activities>(ACCESS_OPTIONS);

/** The grant carried from the run before, or the worker's answer for this run's principal (`local`: a local activity). */
export async function accessFor(input: AgentRunInput, agent: AgentDefinition, local: boolean): Promise<AccessGrant | undefined> {
  if (input.carried) return input.carried.access;
  const principal = input.identity?.principal ?? 'nobody named';
  const resolve = local ? resolveAccessLocally : resolveAccess;
  const grant = await resolve.executeWithOptions({ ...ACCESS_OPTIONS, summary: `access · ${principal}` }, [
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
