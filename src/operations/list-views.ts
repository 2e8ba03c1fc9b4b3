/**
 * The views of the Temporal UI's workflow list that tell sagent's outcomes apart. The list's default columns show
 * Temporal's status only (a rollback is Completed like a success, a blocked run Running like a healthy one), and
 * nothing a server or a run sets can change them: these queries, saved once per browser or opened as links, can.
 */
import { WORKFLOW_TYPE } from '../shared/constants';
import { AgentStatus } from '../shared/search-attributes';
import { PENDING_QUERY } from './approvals';

/** One view: its name in the UI's Saved Views, and its query. */
export interface ListView {
  name: string;
  query: string;
}

const OURS = `WorkflowType = '${WORKFLOW_TYPE}'`;

/** The README's views, in the order an operator reads them. */
export const LIST_VIEWS: readonly ListView[] = [
  { name: 'Waiting for a decision', query: PENDING_QUERY },
  { name: 'Blocked: an undo needs an operator', query: `${OURS} AND ExecutionStatus = 'Running' AND ${AgentStatus.name} = 'blocked'` },
  { name: 'Rolled back', query: `${OURS} AND ExecutionStatus = 'Completed' AND ${AgentStatus.name} = 'compensated'` },
  { name: 'Completed', query: `${OURS} AND ExecutionStatus = 'Completed' AND ${AgentStatus.name} = 'completed'` },
  { name: 'Ended without an outcome (terminated, timed out)', query: `${OURS} AND ExecutionStatus IN ('Terminated', 'TimedOut')` },
];

/** The workflow list of `namespace` in the Web UI at `uiUrl`, filtered by `query`: a view as a link. */
export function listViewUrl(uiUrl: string, namespace: string, query: string): string {
  return `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}
