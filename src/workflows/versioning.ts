/**
 * Worker Versioning for the one workflow type that serves every agent: the versioning behaviour of a run is the one
 * its agent declares, read from the `AgentName` search attribute the run was started with (the SDK asks for it before
 * the input is decoded), and a continue-as-new may start the next run on the current build where the agent allows it.
 */
import type { VersioningBehavior } from '@temporalio/common';
import { makeContinueAsNewFunc, setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { AgentName } from '../shared/search-attributes';
import type { AgentRegistry, AgentVersioning } from '../tools/define';
import type { AgentSagaWorkflow } from '../shared/run';

/** The Temporal versioning behaviour of an agent's runs. */
export function versioningBehaviorOf(versioning: AgentVersioning | undefined): VersioningBehavior {
  return versioning === 'auto-upgrade' ? 'AUTO_UPGRADE' : 'PINNED';
}

/**
 * Gives `workflow` a versioning behaviour per run on a versioned worker: its agent's, or pinned when the run was
 * started without the `AgentName` search attribute (sagent's client and sub-agent starts always set it).
 */
export function declareVersioning(workflow: AgentSagaWorkflow, agents: AgentRegistry): void {
  setWorkflowOptions(() => {
    const info = workflowInfo();
    // An unversioned worker cannot complete a task that declares a behaviour; a versioned one pins by default.
    if (!info.currentDeploymentVersion?.deploymentName) return {};
    const agent = info.typedSearchAttributes.get(AgentName);
    return { versioningBehavior: versioningBehaviorOf(agent === undefined ? undefined : agents[agent]?.versioning) };
  }, workflow);
}

/** True when the agent moves to a new current build at a continue-as-new and the server says one is current. */
export function upgradeDue(versioning: AgentVersioning | undefined): boolean {
  return versioning === 'upgrade-on-continue-as-new' && workflowInfo().targetWorkerDeploymentVersionChanged;
}

/** Continue-as-new as the agent allows: onto the current build for `'upgrade-on-continue-as-new'`, else as Temporal does. */
export function continueAsNewFor(versioning: AgentVersioning | undefined): (...args: Parameters<AgentSagaWorkflow>) => Promise<never> {
  return makeContinueAsNewFunc<AgentSagaWorkflow>(versioning === 'upgrade-on-continue-as-new' ? { initialVersioningBehavior: 'AUTO_UPGRADE' } : {});
}
