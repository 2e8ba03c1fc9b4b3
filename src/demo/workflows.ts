/** The demo's workflow bundle entry: sagent's agent saga over the demo's agents (workflow type `agentSaga`). */
import { createAgentSaga } from '../workflow';
import { DEMO_AGENTS } from './agents';

export const agentSaga = createAgentSaga(DEMO_AGENTS);
/** The fleet's breaker board (`sagent breakers`), on the same workers. */
export { sagentBreakerBoard } from '../workflow';
