/**
 * An eval suite: cases, each an agent, a task, run options and expectations. Written as JSON or as a TypeScript
 * module (its default export, or `suite`), checked here so that a bad field is named with its path.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadScenarios, type Scenario } from '../dev/scenario';

const toolNames = z.array(z.string().min(1)).min(1);

/** A score: the expectation's fraction in [0, 1], which must reach `threshold`; without it, the expectation is a gate. */
const scoreSchema = z.object({ threshold: z.number().min(0).max(1) }).strict();

/** A value an argument must have: the value itself (deep subset for objects), or `{ "$matches": "<regex>" }`. */
const argsCheckSchema = z
  .object({
    tool: z.string().min(1),
    input: z.record(z.string(), z.unknown()),
  })
  .strict();

const answerSchema = z
  .object({
    contains: z.string().min(1).optional(),
    matches: z.string().min(1).optional(),
    /** A JSON Schema the final answer (parsed as JSON) must validate against. */
    schema: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((answer) => [answer.contains, answer.matches, answer.schema].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of contains, matches, schema',
  });

export const RUN_OUTCOMES = ['completed', 'compensated', 'cancelled', 'blocked', 'failed'] as const;

/** Each check an expectation can make; an expectation names exactly one. */
const checkShapes = {
  /** Tools the model must call (any agent of the run tree). */
  called: toolNames,
  /** Tools the model must never ask for. */
  notCalled: toolNames,
  /** A call of `tool` whose input has these fields. */
  args: argsCheckSchema,
  /** The first call of each tool comes in this order. */
  order: z.array(z.string().min(1)).min(2),
  /** At most this many model turns (the run's steps). */
  maxSteps: z.number().int().positive(),
  /** How the run ended. */
  status: z.union([z.enum(RUN_OUTCOMES), z.array(z.enum(RUN_OUTCOMES)).min(1)]),
  /** Effects of these tools committed and still in place at the end (the services agree where they keep records). */
  committed: toolNames,
  /** Effects of these tools committed, then undone. */
  compensated: toolNames,
  /** No effect of these tools was ever attempted. */
  notAttempted: toolNames,
  /** Every effect that may have landed is of one of these tools: nothing the task did not ask for. */
  effectsWithin: z.array(z.string().min(1)),
  /** Every effect of these tools that may have landed was approved first (an `approve` decision for that tool). */
  approvedBeforeEffect: toolNames,
  /**
   * The run asked for an approval of each: a tool, or a call (`{ tool, input }`, a deep subset) and the policy rule
   * that asked (`rule`, a substring, e.g. "is privileged" or "the run's policy names").
   */
  approvalRequested: z
    .array(
      z.union([
        z.string().min(1),
        z.object({ tool: z.string().min(1), input: z.record(z.string(), z.unknown()).optional(), rule: z.string().min(1).optional() }).strict(),
      ]),
    )
    .min(1),
  /** Model cost of the run tree, in USD. */
  maxCostUsd: z.number().positive(),
  /** Input plus output tokens of the run tree. */
  maxTokens: z.number().int().positive(),
  /** The final answer. */
  answer: answerSchema,
  /** A question put to Claude about the task and the final answer; needs ANTHROPIC_API_KEY (skipped otherwise). */
  judge: z.object({ prompt: z.string().min(1) }).strict(),
} as const;

export type CheckKind = keyof typeof checkShapes;
export const CHECK_KINDS = Object.keys(checkShapes) as CheckKind[];

export const expectationSchema = z
  .object({
    ...Object.fromEntries(CHECK_KINDS.map((kind) => [kind, checkShapes[kind].optional()])),
    /** A name for the table; @default the check and its argument */
    name: z.string().min(1).optional(),
    score: scoreSchema.optional(),
  } as { [K in CheckKind]: z.ZodOptional<(typeof checkShapes)[K]> } & { name: z.ZodOptional<z.ZodString>; score: z.ZodOptional<typeof scoreSchema> })
  .strict()
  .superRefine((expectation, ctx) => {
    const kinds = CHECK_KINDS.filter((kind) => expectation[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: kinds.length === 0 ? `name one check: ${CHECK_KINDS.join(', ')}` : `one check per expectation, not ${kinds.join(' and ')}`,
      });
    }
  });

/** What a stubbed tool call returns instead of calling the tool: a result, a failure, or the live tool. */
export const stubSchema = z.union([
  z.literal('live'),
  z.object({ result: z.unknown() }).strict(),
  z
    .object({
      error: z
        .object({
          code: z.string().min(1),
          message: z.string().min(1),
          /** `rejected` goes back to the model at once; `transient` is retried by Temporal. @default "rejected" */
          kind: z.enum(['rejected', 'transient']).default('rejected'),
        })
        .strict(),
    })
    .strict(),
]);

/** How the eval decides the run's approvals, as an approver the run lists (with a signature). */
export const approvalPolicySchema = z.union([
  z.enum(['approve_all', 'reject_all']),
  /** Approves calls of these tools, rejects every other. */
  z.object({ approve: z.array(z.string().min(1)) }).strict(),
]);

const overridesSchema = z
  .record(
    z.string().min(1),
    z
      .object({
        system: z.string().min(1).optional(),
        tools: z.record(z.string().min(1), z.object({ description: z.string().min(1) }).strict()).optional(),
      })
      .strict(),
  )
  .optional();

export const caseSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'lower-case letters, digits and dashes, at most 60'),
    agent: z.string().min(1).optional(),
    task: z.string().trim().min(1),
    /** Run options, as `sagent start` takes them. */
    run: z
      .object({
        maxSteps: z.number().int().positive().optional(),
        budgetUsd: z.number().positive().optional(),
        requireApproval: z.array(z.string().min(1)).optional(),
        allowTools: z.array(z.string().min(1)).optional(),
        model: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    approve: approvalPolicySchema.default('approve_all'),
    /** The scripted model's scenario for this case (ignored when Claude runs). @default routed by the task */
    scenario: z.string().min(1).optional(),
    /** Scenarios of the sub-agents' runs, by agent name. */
    delegateScenarios: z.record(z.string().min(1), z.string().min(1)).optional(),
    /** What calls of a tool return instead of the tool, in call order (the last repeats); needs an environment with stubs. */
    stubs: z.record(z.string().min(1), z.array(stubSchema).min(1)).optional(),
    repeat: z.number().int().min(1).max(100).optional(),
    /** How long one run may take before the eval cancels it. @default 60000 */
    timeoutMs: z.number().int().positive().optional(),
    expect: z.array(expectationSchema).min(1),
  })
  .strict();

export const suiteSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, at most 40'),
    // Each field is documented on `SuiteInput`, the type suites are written in.
    description: z.string().optional(),
    agent: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    repeat: z.number().int().min(1).max(100).optional(),
    environment: z.string().min(1).optional(),
    scenarios: z.array(z.string().min(1)).optional(),
    agents: overridesSchema,
    cases: z.array(caseSchema).min(1),
  })
  .strict()
  .superRefine((suite, ctx) => {
    suite.cases.forEach((c, i) => {
      if (!c.agent && !suite.agent) ctx.addIssue({ code: 'custom', path: ['cases', i, 'agent'], message: 'required (or give the suite an agent)' });
      if (suite.cases.findIndex((other) => other.name === c.name) !== i) {
        ctx.addIssue({ code: 'custom', path: ['cases', i, 'name'], message: `"${c.name}" is used by an earlier case` });
      }
    });
  });

/** An eval suite as checked: its cases, and what every case shares (agent, model, repeats, environment). */
export type Suite = z.output<typeof suiteSchema>;
type SuiteShape = z.input<typeof suiteSchema>;
/** An eval suite as a YAML, JSON or TypeScript file gives it, before defaults are filled in. */
export interface SuiteInput extends SuiteShape {
  /** The suite's name: lower-case letters, digits and dashes, at most 40. */
  name: string;
  /** What the suite checks, for its readers. @default none */
  description?: string;
  /** The agent of cases that name none. @default none: every case names its agent */
  agent?: string;
  /** The model of every case (a case's run.model or --model wins). @default none: the run's default model */
  model?: string;
  /** Runs of each case. @default 1 */
  repeat?: number;
  /** A module (relative to the suite) whose `createEvalEnvironment` starts what the cases run on. @default none: the worker the CLI connects to */
  environment?: string;
  /** Scenario files or directories for the scripted model, relative to the suite. @default [] */
  scenarios?: string[];
  /** Prompt and tool-description variants the suite's worker runs the agents with. @default none: the agents as the worker defines them */
  agents?: SuiteShape['agents'];
  /** The cases, at least one; names are unique within the suite. */
  cases: SuiteShape['cases'];
}
/** One case of a suite: a task for an agent, how approvals are answered, and what is expected of the run. */
export type EvalCase = z.output<typeof caseSchema>;
/** One gated check of a case's run (status, tools called, effects, output, a judge's score...). */
export type Expectation = z.output<typeof expectationSchema>;
/** A tool result a case plays back instead of calling the tool. */
export type Stub = z.output<typeof stubSchema>;
/** How a case answers its run's approval requests. */
export type ApprovalPolicy = z.output<typeof approvalPolicySchema>;
/** Prompt and tool-description variants a suite runs its agents with, by agent name. */
export type AgentOverrides = NonNullable<Suite['agents']>;

/** A suite as loaded: checked, with the file it came from and the scenarios a TypeScript suite brought along. */
export interface LoadedSuite extends Suite {
  file: string;
  /** Scenarios in code (a TypeScript suite's `scenarios` export) and from the suite's `scenarios` paths. */
  scriptedScenarios: Scenario[];
  /** The environment module, resolved. */
  environmentModule?: string;
}

/** A suite file that does not parse or check; the message names the file and each field to fix. */
export class InvalidSuiteError extends Error {
  override name = 'InvalidSuiteError' as const;
}

/** Checks a suite object; the error names the file and the first bad field with its path. */
export function parseSuite(value: unknown, file: string): Suite {
  const parsed = suiteSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue.path
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
    .join('')
    .replace(/^\./, '');
  throw new InvalidSuiteError(`suite ${file}: ${where ? `${where}: ` : ''}${issue.message.replace(/^Invalid input: /, '')}`);
}

const SUITE_FILE = /\.(json|eval\.ts|suite\.ts)$/;

/** The suite files of a path: the file itself, or the `*.json` / `*.eval.ts` files of a directory, in name order. */
export function suiteFiles(fileOrDir: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(fileOrDir);
  } catch {
    throw new InvalidSuiteError(`suite ${fileOrDir}: no such file or directory`);
  }
  if (!stat.isDirectory()) return [path.resolve(fileOrDir)];
  const files = fs
    .readdirSync(fileOrDir)
    .filter((name) => SUITE_FILE.test(name))
    .sort()
    .map((name) => path.resolve(fileOrDir, name));
  if (files.length === 0) throw new InvalidSuiteError(`suite directory ${fileOrDir}: no *.json or *.eval.ts suite in it`);
  return files;
}

/** Loads and checks one suite file (JSON, or a TypeScript module exporting the suite as default or `suite`). */
export function loadSuite(file: string): LoadedSuite {
  const absolute = path.resolve(file);
  let raw: unknown;
  let codeScenarios: Scenario[] = [];
  if (absolute.endsWith('.json')) {
    let text: string;
    try {
      text = fs.readFileSync(absolute, 'utf8');
    } catch (err) {
      throw new InvalidSuiteError(`suite ${file}: cannot read it (${(err as Error).message})`);
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new InvalidSuiteError(`suite ${file}: not valid JSON (${(err as Error).message})`);
    }
  } else {
    const loaded = require(absolute) as { default?: unknown; suite?: unknown; scenarios?: Scenario[] };
    raw = loaded.suite ?? loaded.default;
    if (raw === undefined) throw new InvalidSuiteError(`suite ${file}: export the suite as default or as \`suite\``);
    codeScenarios = loaded.scenarios ?? [];
  }
  const suite = parseSuite(raw, file);
  const dir = path.dirname(absolute);
  const scriptedScenarios = [...codeScenarios, ...(suite.scenarios ?? []).flatMap((entry) => scenariosAt(path.resolve(dir, entry), file))];
  return {
    ...suite,
    file: absolute,
    scriptedScenarios,
    ...(suite.environment ? { environmentModule: path.resolve(dir, suite.environment) } : {}),
  };
}

/** JSON scenarios of a file or directory; a `.ts` module's `scenarios` export. */
function scenariosAt(target: string, suiteFile: string): Scenario[] {
  if (/\.[cm]?[tj]s$/.test(target)) {
    const loaded = require(target) as { scenarios?: Scenario[] };
    if (!Array.isArray(loaded.scenarios)) throw new InvalidSuiteError(`suite ${suiteFile}: scenarios: ${target} exports no \`scenarios\` array`);
    return loaded.scenarios;
  }
  return loadScenarios(target);
}
