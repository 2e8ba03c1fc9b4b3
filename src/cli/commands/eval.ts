/** `eval`: agent behaviour as suites of gated cases, compared with a baseline; `eval --replay`: recorded runs again. */
import fs from 'node:fs';
import type { Command } from 'commander';
import { codecDataConverter } from '../../codec/data-converter';
import { SagentClient } from '../../client';
import { DEFAULT_UI_URL } from '../../shared/constants';
import { connectClient, resolveConnection } from '../../temporal/connection';
import { loadEnvironmentFactory, type EvalEnvironment } from '../../eval/environment';
import { recordedRunsFromFiles, recordedRunsFromQuery, replayRuns } from '../../eval/replay';
import { REPORT_HEADERS, compareReports, parseReports, reportRows, type EvalReport } from '../../eval/report';
import { runSuite } from '../../eval/runner';
import { loadSuite, suiteFiles, type LoadedSuite } from '../../eval/suite';
import { claudeJudge } from '../../eval/judge';
import { CliError, EXIT, type ExitCode } from '../errors';
import { Output, table } from '../io';
import type { Session } from '../session';
import type { CliContext } from '../context';

interface EvalOptions {
  baseline?: string;
  json?: string;
  model?: string;
  repeat?: number;
  concurrency?: number;
  environment?: string;
  replay?: string[];
  toolResults?: boolean;
  regressionThreshold?: number;
}

const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${what} must be a whole number of 1 or more, not "${value}"`);
  return n;
};

export function registerEvalCommand(program: Command, session: Session): void {
  program
    .command('eval')
    .description('run a suite of eval cases (real runs, checked against gates and scores); non-zero exit on a failed gate or a regression')
    .argument('[suite]', 'a suite file (.json, .eval.ts) or a directory of them')
    .option('--baseline <file>', 'compare with a stored report (--json output) and print what got better or worse')
    .option('--json <file>', 'write the report as JSON (a baseline for later runs)')
    .option('--model <model>', 'the model of every case (overrides the suite)')
    .option('--repeat <n>', 'runs of each case', positiveInt('--repeat'))
    .option('--concurrency <n>', 'runs at a time (default 4)', positiveInt('--concurrency'))
    .option(
      '--environment <module>',
      "a module whose createEvalEnvironment starts what the runs need (default: the suite's, else the worker on SAGENT_TASK_QUEUE)",
    )
    .option('--replay <source...>', 'run recorded runs again: a visibility query, or history files (`sagent history` output)')
    .option('--tool-results', 'with --replay: play back the recorded tool results instead of calling the tools')
    .option('--regression-threshold <x>', 'a score that falls by more than this is a regression (default 0.1)', Number)
    .addHelpText(
      'after',
      `
Examples:
  $ sagent eval src/demo/evals                                 # every suite in the directory
  $ sagent eval src/demo/evals/travel.json --json baseline.json
  $ sagent eval src/demo/evals/travel.json --baseline baseline.json --repeat 3 --model claude-opus-4-6
  $ sagent eval --replay "AgentName = 'trip'" --environment src/demo/evals/environment.ts
  $ sagent eval --replay runs/happy-trip.json --tool-results --environment src/demo/evals/environment.ts

A case's verdict: passed (every gate holds, every score reaches its threshold), scored (a score fell short),
failed (a gate does not hold). Exit codes: 0 no failed gate and no regression (replay: no difference), 1 otherwise.`,
    )
    .action(async (suitePath: string | undefined, options: EvalOptions) =>
      session.run(undefined, async (connect) => {
        if (options.replay) return replay(session, connect, options);
        if (!suitePath) throw new CliError('name a suite file or directory, or --replay <query or files>');
        const suites = suiteFiles(suitePath).map(loadSuite);
        return evaluateSuites(session, connect, suites, options);
      }),
    );
}

/** One environment per module (or the CLI's own connection), shared by the suites that name it. */
class Environments {
  private readonly started = new Map<string, Promise<EvalEnvironment>>();

  constructor(
    private readonly session: Session,
    private readonly connect: () => Promise<CliContext>,
  ) {}

  get(module: string | undefined): Promise<EvalEnvironment> {
    const key = module ?? '';
    if (!this.started.has(key)) this.started.set(key, this.start(module));
    return this.started.get(key)!;
  }

  private async start(module: string | undefined): Promise<EvalEnvironment> {
    const { io } = this.session;
    if (module) return loadEnvironmentFactory(module)({ env: io.env, say: (line) => io.stderr.write(`${line}\n`) });
    const ctx = await this.connect();
    return {
      description: `the worker on ${ctx.taskQueue} at ${ctx.address}`,
      model: 'worker',
      sagent: ctx.sagent,
      servicesUrl: io.env.SAGENT_SERVICES_URL || undefined,
      close: async () => undefined,
    };
  }

  async closeAll(): Promise<void> {
    for (const environment of this.started.values()) await (await environment.catch(() => null))?.close();
  }
}

async function evaluateSuites(session: Session, connect: () => Promise<CliContext>, suites: LoadedSuite[], options: EvalOptions): Promise<ExitCode> {
  const { io } = session;
  const output = new Output(io);
  const baselines = options.baseline ? readBaseline(options.baseline) : null;
  const judge = io.env.ANTHROPIC_API_KEY ? claudeJudge(options.model) : undefined;
  const environments = new Environments(session, connect);
  const reports: EvalReport[] = [];
  try {
    // The suites run side by side (each bounded by --concurrency); their tables print in the order given.
    const done = await Promise.all(
      suites.map(async (suite) => {
        const environment = await environments.get(options.environment ?? suite.environmentModule);
        io.stderr.write(`suite ${suite.name}: ${suite.cases.length} case(s) on ${environment.description}\n`);
        const say = (line: string) => io.stderr.write(`${suite.name}:${line}\n`);
        return runSuite(suite, { environment, model: options.model, repeat: options.repeat, concurrency: options.concurrency, judge, say });
      }),
    );
    for (const report of done) {
      reports.push(report);
      printReport(output, report);
    }
  } finally {
    await environments.closeAll();
  }
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
  const failed = reports.flatMap((report) => report.cases.filter((c) => c.verdict === 'failed').map((c) => `${report.suite}/${c.name}`));
  let regressions = 0;
  if (baselines) {
    output.line('');
    output.line(`Compared with ${options.baseline}:`);
    for (const report of reports) {
      const baseline = baselines.find((candidate) => candidate.suite === report.suite);
      if (!baseline) {
        output.line(`  ${report.suite}: not in the baseline`);
        continue;
      }
      const changes = compareReports(baseline, report, options.regressionThreshold ?? 0.1);
      if (changes.length === 0) output.line(`  ${report.suite}: no change`);
      for (const change of changes) {
        const mark = change.kind === 'regression' ? 'worse' : change.kind === 'improvement' ? 'better' : change.kind;
        output.line(`  ${mark.padEnd(7)} ${report.suite}/${change.name}: ${change.what}`);
      }
      regressions += changes.filter((change) => change.kind === 'regression').length;
    }
  }
  output.line('');
  const total = reports.reduce((sum, report) => sum + report.cases.length, 0);
  output.line(`${total} case(s): ${total - failed.length} without a failed gate, ${failed.length} failed${baselines ? `, ${regressions} regression(s)` : ''}`);
  return failed.length > 0 || regressions > 0 ? EXIT.error : EXIT.ok;
}

function printReport(output: Output, report: EvalReport): void {
  output.line('');
  output.line(`suite ${report.suite} (${(report.durationMs / 1000).toFixed(1)} s)`);
  for (const line of table(REPORT_HEADERS, reportRows(report))) output.line(line);
}

function readBaseline(file: string): EvalReport[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--baseline ${file}: cannot read it (${(err as Error).message})`);
  }
  try {
    return parseReports(JSON.parse(text), file);
  } catch (err) {
    throw new CliError((err as Error).message.startsWith('baseline') ? (err as Error).message : `--baseline ${file}: not valid JSON`);
  }
}

async function replay(session: Session, connect: () => Promise<CliContext>, options: EvalOptions): Promise<ExitCode> {
  const { io } = session;
  const sources = options.replay!;
  const files = sources.every((source) => source.endsWith('.json') && fs.existsSync(source));
  let runs;
  if (files) {
    runs = await recordedRunsFromFiles(sources);
  } else {
    if (sources.some((source) => source.endsWith('.json')))
      throw new CliError(`--replay: no such history file: ${sources.filter((s) => s.endsWith('.json') && !fs.existsSync(s)).join(', ')}`);
    const temporal = await connectClient({ config: resolveConnection(io.env), dataConverter: codecDataConverter(io.env) });
    try {
      const reader = new SagentClient({ client: temporal.client, namespace: temporal.config.namespace, uiUrl: io.env.SAGENT_UI_URL ?? DEFAULT_UI_URL });
      runs = await recordedRunsFromQuery(temporal.client, reader, sources.join(' '));
    } finally {
      await temporal.close();
    }
  }
  if (runs.length === 0) throw new CliError(`--replay: no closed run matches ${sources.join(' ')}`);
  const environments = new Environments(session, connect);
  let results;
  try {
    const environment = await environments.get(options.environment);
    io.stderr.write(`replaying ${runs.length} run(s) on ${environment.description}${options.toolResults ? ', with the recorded tool results' : ''}\n`);
    results = await replayRuns(runs, {
      environment,
      toolResults: options.toolResults,
      concurrency: options.concurrency,
      say: (line) => io.stderr.write(`${line}\n`),
    });
  } finally {
    await environments.closeAll();
  }
  const output = new Output(io);
  const rows = results.map((result) => [
    result.id,
    result.differences.length === 0 ? 'same' : 'differs',
    result.recorded.status,
    result.replayed?.status ?? '?',
    result.differences.join('; '),
    result.uiUrl,
  ]);
  for (const line of table(['recorded run', 'replay', 'recorded', 'now', 'differences', 'UI'], rows)) output.line(line);
  if (options.json) fs.writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  const differing = results.filter((result) => result.differences.length > 0).length;
  output.line('');
  output.line(`${results.length} run(s) replayed: ${results.length - differing} the same, ${differing} different`);
  return differing > 0 ? EXIT.error : EXIT.ok;
}
