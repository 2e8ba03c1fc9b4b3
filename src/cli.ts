/**
 * sagent's terminal renderers (`sagent/cli`): runs printed the way the `sagent` CLI prints them, for apps that show
 * a run in a terminal (the demo does).
 *
 * @packageDocumentation
 */
export { Output, processIO, type CliIO } from './cli/io';
export { TimelineRenderer, type TimelineOptions } from './cli/timeline';
export { watchRun, type WatchOptions, type WatchResult } from './cli/watch';
export { ledgerLines } from './cli/ledger-view';
export { EXIT, describeError, exitCodeFor, type ExitCode } from './cli/errors';
