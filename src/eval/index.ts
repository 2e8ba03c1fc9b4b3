/** Evals: agent behaviour as suites of gated cases, baselines, and replays of recorded runs. */
export {
  loadSuite,
  parseSuite,
  suiteFiles,
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
export {
  ToolStubs,
  loadEnvironmentFactory,
  withOverrides,
  type EvalEnvironment,
  type EvalEnvironmentFactory,
  type EvalEnvironmentOptions,
} from './environment';
export { evaluate, labelOf, type ExpectationResult, type Judge } from './expectations';
export { recordOf, readHistory, recordedToolResults, type ApprovalRequestSeen, type CallSeen, type EffectSeen, type RunRecord } from './record';
export { runSuite, EVAL_APPROVER, type RunSuiteOptions } from './runner';
export {
  REPORT_HEADERS,
  caseVerdict,
  compareReports,
  parseReports,
  reportRows,
  type CaseChange,
  type CaseReport,
  type EvalReport,
  type RunSummary,
  type Verdict,
} from './report';
export { compareRuns, recordedRunsFromFiles, recordedRunsFromQuery, replayRuns, type RecordedRun, type ReplayOptions, type ReplayResult } from './replay';
