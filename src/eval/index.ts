/** Evals: agent behaviour as suites of gated cases, baselines, and replays of recorded runs. */
export {
  loadSuite,
  parseSuite,
  InvalidSuiteError,
  type EvalCase,
  type Expectation,
  type LoadedSuite,
  type Suite,
  type SuiteInput,
  type AgentOverrides,
  type ApprovalPolicy,
  type Stub,
} from './suite';
export { ToolStubs, withOverrides, type EvalEnvironment, type EvalEnvironmentFactory, type EvalEnvironmentOptions } from './environment';
export { evaluate, type ExpectationResult, type Judge } from './expectations';
export type { RunRecord } from './record';
export { runSuite, type RunSuiteOptions } from './runner';
export { compareReports, type CaseChange, type CaseReport, type EvalReport, type RunSummary, type Verdict } from './report';
export { replayRuns, type RecordedRun, type ReplayOptions, type ReplayResult } from './replay';
