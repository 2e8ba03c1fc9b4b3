/** What a trial worker prints once it polls its task queue. */
export const READY_LINE = 'sagent-chaos-worker ready';
