/**
 * The demo's workflow bundle, built once per test run: global-setup builds it and leaves it in a file the test files
 * read (bundling costs about 10 s of CPU, which every test file would otherwise pay again). A file run without the
 * global setup builds its own.
 */
import fs from 'node:fs/promises';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { DEMO_WORKFLOWS_PATH } from '../../src/demo/worker';
import { sagentBundleOptions } from '../../src/worker';

/** Where global-setup tells the test files the prebuilt bundle lies. */
export const DEMO_BUNDLE_ENV = 'SAGENT_TEST_WORKFLOW_BUNDLE';

/** Bundles the demo's workflows as `SagentPlugin` does: the shared (preloaded) libraries and agent definitions. */
export function buildDemoBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    ...sagentBundleOptions(DEMO_WORKFLOWS_PATH),
    logger: new DefaultLogger('WARN'),
  });
}

/** The run's prebuilt bundle when global-setup left one, else a fresh one. */
export async function demoBundle(): Promise<{ code: string }> {
  const file = process.env[DEMO_BUNDLE_ENV];
  return file ? { code: await fs.readFile(file, 'utf8') } : buildDemoBundle();
}
