/** The worker's workflow bundle entry. */
export { agentSaga } from './agent-saga';
