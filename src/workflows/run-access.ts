/**
 * The run's identity and access, settled once at its first start: the worker answers which tools the principal may
 * use (one local activity, so the answer is in history), and continue-as-new carries the answer.
 */
import { log, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AccessGrant } from '../shared/policy';
import type { AgentRunInput } from '../shared/run';
import type { AgentRegistry } from '../tools/define';

const { resolveAccess } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 5 } });

/** The grant carried from the run before, or the worker's answer for this run's principal. */
export async function accessFor(input: AgentRunInput, agents: AgentRegistry): Promise<AccessGrant | undefined> {
  if (input.carried) return input.carried.access;
  const agent = Object.hasOwn(agents, input.agent) ? agents[input.agent] : undefined;
  if (!agent) return undefined;
  const grant = await resolveAccess({
    agent: agent.name,
    principal: input.identity?.principal ?? null,
    tenant: input.identity?.tenant ?? null,
    tools: agent.tools.filter((tool) => !tool.control).map((tool) => tool.name),
  });
  log.info('run access resolved', { principal: input.identity?.principal ?? null, tenant: input.identity?.tenant ?? null, roles: grant.roles });
  return grant;
}
