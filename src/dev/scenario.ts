/**
 * Scenarios: scripts that tell the scripted model server what "Claude" answers, turn by turn, for one
 * kind of run. Written as JSON files (checked by `scenarioSchema`) or, in tests and benchmarks, as
 * objects whose `respond(ctx)` computes each turn from what the run sent.
 *
 * Semantics, all per (run, turn), so a retried activity replays the same turn:
 * - Turn n plays `turns[n - 1]`. Past the last entry, `afterLastTurn` decides: `end_turn` answers a short
 *   text that ends the run, `repeat_last` plays the last entry again.
 * - An entry with `error` fails the first `error.times` attempts of its turn; later attempts play its
 *   `content`. Without `times`, every attempt fails (and the entry must not have `content`).
 * - `delayMs` waits before answering; an array gives the wait per attempt, its last value repeating.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { STOP_REASONS, type StopReason } from '../shared/wire';
import type { MessagesRequest, RequestMessage } from './messages-request';

const textBlockSchema = z.object({ type: z.literal('text'), text: z.string().min(1) }).strict();

const toolUseBlockSchema = z
  .object({
    type: z.literal('tool_use'),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/),
    input: z.object({}).catchall(z.unknown()),
  })
  .strict();

const scriptedBlockSchema = z.discriminatedUnion('type', [textBlockSchema, toolUseBlockSchema]);

/** An error the server answers instead of a turn. */
const injectedErrorSchema = z
  .object({
    /** HTTP status; required unless `dropConnection`. */
    status: z.number().int().min(400).max(599).optional(),
    /** Anthropic error type. @default derived from `status` (429 → `rate_limit_error`, …) */
    type: z.string().min(1).optional(),
    message: z.string().min(1).optional(),
    /** Seconds, sent as `retry-after`. */
    retryAfter: z.number().nonnegative().optional(),
    /** Milliseconds, sent as `retry-after-ms`. */
    retryAfterMs: z.number().nonnegative().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** How many attempts of the turn fail. @default every attempt */
    times: z.number().int().min(1).optional(),
    /** Destroy the socket without answering (the SDK sees a connection error). */
    dropConnection: z.boolean().optional(),
    /** On a streamed request, answer 200 and send the error as an SSE `error` event after `message_start`. */
    midStream: z.boolean().optional(),
    /** On a streamed request, answer 200, send `message_start`, then nothing: a stream that hangs open. */
    stallAfterStart: z.boolean().optional(),
    /** Answer 200 with a body that is not the Messages API (garbled JSON, or a stream of nonsense events). */
    garbage: z.boolean().optional(),
    /** On a streamed request, stream the turn's content and drop the connection after this many deltas: a stream cut mid-way. */
    cutAfterDeltas: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine(
    (error) =>
      error.dropConnection === true ||
      error.stallAfterStart === true ||
      error.garbage === true ||
      error.cutAfterDeltas !== undefined ||
      error.status !== undefined,
    {
      path: ['status'],
      message: 'required unless dropConnection, stallAfterStart, garbage or cutAfterDeltas is set',
    },
  );

const usageOverrideSchema = z
  .object({
    input_tokens: z.number().int().nonnegative().optional(),
    output_tokens: z.number().int().nonnegative().optional(),
    cache_creation_input_tokens: z.number().int().nonnegative().optional(),
    cache_read_input_tokens: z.number().int().nonnegative().optional(),
  })
  .strict();

/** One turn of a scenario: what the model answers, or the error it fails with first. */
export const turnSpecSchema = z
  .object({
    // Each field is documented on `TurnSpec`, the type users write turns in.
    content: z.array(scriptedBlockSchema).min(1).optional(),
    stop_reason: z.enum(STOP_REASONS).optional(),
    error: injectedErrorSchema.optional(),
    delayMs: z.union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative()).min(1)]).optional(),
    usage: usageOverrideSchema.optional(),
    /** On a streamed answer, the wait before each delta, in ms (text that arrives in pieces over time). */
    streamDelayMs: z.number().int().nonnegative().max(10_000).optional(),
    /**
     * On a streamed answer, stop after this many deltas and wait, sending a ping every second as the API does, until
     * the server's `releaseStreams()` (or `POST /admin/release-streams`).
     */
    holdAfterDeltas: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine((turn, ctx) => {
    if (turn.content === undefined && turn.error === undefined) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a turn needs content, error, or both' });
    }
    if (turn.error?.cutAfterDeltas !== undefined && (turn.content === undefined || turn.error.times === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['error', 'cutAfterDeltas'],
        message: 'needs content and error.times: the cut attempts stream part of the content',
      });
    }
    if (turn.error?.times !== undefined && turn.content === undefined) {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'required: attempts after error.times play it' });
    }
    if (turn.error !== undefined && turn.error.times === undefined && turn.content !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['error', 'times'],
        message: 'required when the turn has content (without it every attempt fails and content never plays)',
      });
    }
  });

const matchSchema = z
  .object({
    /** Routes runs whose workflow id (the `x-sagent-run` header) starts with this. */
    runIdPrefix: z.string().min(1).optional(),
    /** Routes runs whose workflow id ends with this (with `runIdPrefix`, both must hold): a sub-agent's run, `…/payments`. */
    runIdSuffix: z.string().min(1).optional(),
    /** Routes runs whose first user message contains this, ignoring case. */
    taskIncludes: z.string().min(1).optional(),
    /** Among scenarios that match the same way, higher wins, then load order. @default 0 */
    priority: z.number().int().optional(),
  })
  .strict();

/** A scenario file. */
export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    match: matchSchema.optional(),
    turns: z.array(turnSpecSchema).min(1),
    /** @default "end_turn" */
    afterLastTurn: z.enum(['end_turn', 'repeat_last']).optional(),
  })
  .strict();

type TurnSpecShape = z.input<typeof turnSpecSchema>;
/** One turn of a scripted scenario: what the model answers, or the error it fails with first (a turn needs one of them). */
export interface TurnSpec extends TurnSpecShape {
  /** The blocks Claude answers with (text, tool_use, thinking). @default none: the turn must then fail with `error` */
  content?: TurnSpecShape['content'];
  /** @default 'tool_use' if content has a tool_use block, else 'end_turn' */
  stop_reason?: TurnSpecShape['stop_reason'];
  /** An API error the turn fails with first (every attempt, or the first `error.times`). @default none */
  error?: TurnSpecShape['error'];
  /** On a streamed answer, the wait before each delta, in ms. @default 0 */
  streamDelayMs?: TurnSpecShape['streamDelayMs'];
  /** On a streamed answer, hold the stream after this many deltas until the server's `releaseStreams()`. @default none: never held */
  holdAfterDeltas?: TurnSpecShape['holdAfterDeltas'];
  /** Wait before answering, in ms; an array gives one value per attempt, the last repeating. @default 0 */
  delayMs?: TurnSpecShape['delayMs'];
  /** Overrides the computed usage, field by field. @default the usage counted from the request and the answer */
  usage?: TurnSpecShape['usage'];
}
export type ParsedTurnSpec = z.output<typeof turnSpecSchema>;
export type InjectedError = z.output<typeof injectedErrorSchema>;
export type ScriptedBlock = z.output<typeof scriptedBlockSchema>;
/** Which runs a scenario answers: by workflow id prefix or suffix, or by words of the task. */
export type ScenarioMatch = z.input<typeof matchSchema>;
/** A scenario as a file or an object gives it: a name, how runs are matched, and its turns in order. */
export type ScriptedScenario = z.input<typeof scenarioSchema>;

/** A tool_result block of the last user message, with its text parsed as JSON when it is JSON. */
export interface ToolResultSeen {
  tool_use_id: string;
  /** Name of the tool_use it answers, from the preceding assistant message. */
  name: string | undefined;
  is_error: boolean;
  text: string;
  /** `JSON.parse(text)`, or undefined when the text is not JSON. */
  json: unknown;
}

/** What a programmatic scenario is told about the request it answers. */
export interface TurnContext {
  /** The `x-sagent-run` header, or null when absent. */
  runId: string | null;
  turn: number;
  /** 1 for the first request of this (run, turn), 2 for its first retry, … */
  attempt: number;
  /** Text of the first user message. */
  task: string;
  body: MessagesRequest;
  lastToolResults: ToolResultSeen[];
}

/** A scenario computed in code: `respond` is called for every attempt of every turn. */
export interface RespondingScenario {
  name: string;
  description?: string;
  match?: ScenarioMatch;
  respond(ctx: TurnContext): TurnSpec | Promise<TurnSpec>;
}

/** A scenario the model server plays: scripted turns, or a `respond` function that answers each turn. */
export type Scenario = ScriptedScenario | RespondingScenario;

/** What the server does for one attempt of one turn. */
/** How a streamed answer is paced: a wait before each delta, a hold after some, a cut after some. */
export interface StreamPacing {
  delayMs?: number;
  holdAfterDeltas?: number;
  cutAfterDeltas?: number;
}

export type TurnOutcome =
  | { kind: 'error'; error: InjectedError; delayMs: number; reply?: Extract<TurnOutcome, { kind: 'reply' }> }
  | {
      kind: 'reply';
      content: ScriptedBlock[];
      stop_reason: StopReason;
      usage: ParsedTurnSpec['usage'];
      delayMs: number;
      pacing: StreamPacing;
    };

export type Parsed<T> = { success: true; data: T } | { success: false; error: string };

/** Checks a scenario object; a scripted one is parsed with `scenarioSchema`. */
export function parseScenario(scenario: Scenario, source = `scenario "${scenario.name}"`): Scenario {
  if ('respond' in scenario) {
    if (typeof scenario.name !== 'string' || scenario.name === '') throw new Error(`${source}: name: required`);
    return scenario;
  }
  const parsed = scenarioSchema.safeParse(scenario);
  if (!parsed.success) throw new Error(`${source}: ${describeIssue(parsed.error.issues[0])}`);
  return parsed.data;
}

/** Reads and checks one scenario file; throws an Error whose message is one line naming the file. */
export function loadScenarioFile(file: string): ScriptedScenario {
  const source = `scenario file ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${source}: cannot read it (${oneLine((err as Error).message)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not valid JSON (${oneLine((err as Error).message)})`);
  }
  const parsed = scenarioSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source}: ${describeIssue(parsed.error.issues[0])}`);
  return parsed.data;
}

/** Loads every `*.json` file of a directory, in file-name order; names must be unique. */
export function loadScenarioDir(dir: string): ScriptedScenario[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort();
  } catch (err) {
    throw new Error(`scenario directory ${dir}: cannot read it (${oneLine((err as Error).message)})`);
  }
  if (files.length === 0) throw new Error(`scenario directory ${dir}: no .json files in it`);
  const scenarios: ScriptedScenario[] = [];
  for (const file of files) {
    const scenario = loadScenarioFile(join(dir, file));
    if (scenarios.some((loaded) => loaded.name === scenario.name)) {
      throw new Error(`scenario file ${join(dir, file)}: name: "${scenario.name}" is already used by another file`);
    }
    scenarios.push(scenario);
  }
  return scenarios;
}

/** Loads a scenario file, or every scenario file of a directory. */
export function loadScenarios(fileOrDir: string): ScriptedScenario[] {
  let isDirectory = false;
  try {
    isDirectory = statSync(fileOrDir).isDirectory();
  } catch {
    // Missing paths fall through to loadScenarioFile, which reports them in one line.
  }
  return isDirectory ? loadScenarioDir(fileOrDir) : [loadScenarioFile(fileOrDir)];
}

/**
 * Picks the scenario for a request: the first whose `runIdPrefix`/`runIdSuffix` fit the run id, else the first
 * whose `taskIncludes` appears in the task, else the default. Higher `match.priority` goes first.
 */
export function routeScenario(scenarios: readonly Scenario[], seen: { runId: string | null; task: string }, defaultScenario?: string): Scenario | undefined {
  const ordered = [...scenarios].sort((a, b) => (b.match?.priority ?? 0) - (a.match?.priority ?? 0));
  const { runId } = seen;
  const task = seen.task.toLowerCase();
  const byRunId = (match: ScenarioMatch | undefined) =>
    runId !== null &&
    (match?.runIdPrefix !== undefined || match?.runIdSuffix !== undefined) &&
    runId.startsWith(match.runIdPrefix ?? '') &&
    runId.endsWith(match.runIdSuffix ?? '');
  const byTask = (needle: string | undefined) => needle !== undefined && task.includes(needle.toLowerCase());
  return ordered.find((s) => byRunId(s.match)) ?? ordered.find((s) => byTask(s.match?.taskIncludes)) ?? scenarios.find((s) => s.name === defaultScenario);
}

/** The turn spec a scenario plays for this request, checked with `turnSpecSchema`. */
export async function turnSpecFor(scenario: Scenario, ctx: TurnContext): Promise<Parsed<ParsedTurnSpec>> {
  if ('respond' in scenario) {
    let spec: TurnSpec;
    try {
      spec = await scenario.respond(ctx);
    } catch (err) {
      return { success: false, error: `scenario "${scenario.name}" respond() threw: ${oneLine(String(err))}` };
    }
    const parsed = turnSpecSchema.safeParse(spec);
    if (parsed.success) return parsed;
    const problem = describeIssue(parsed.error.issues[0]);
    return { success: false, error: `scenario "${scenario.name}" turn ${ctx.turn}: ${problem}` };
  }
  const turns = scenario.turns as ParsedTurnSpec[];
  if (ctx.turn <= turns.length) return { success: true, data: turns[ctx.turn - 1] };
  if (scenario.afterLastTurn === 'repeat_last') return { success: true, data: turns[turns.length - 1] };
  const text = `Scenario "${scenario.name}" has no turn ${ctx.turn}; ending the run.`;
  return { success: true, data: { content: [{ type: 'text', text }], stop_reason: 'end_turn' } };
}

/** What one attempt of a turn gets: the injected error for the first `error.times` attempts, else content. */
export function outcomeFor(spec: ParsedTurnSpec, attempt: number): TurnOutcome {
  const delays = spec.delayMs === undefined ? [0] : Array.isArray(spec.delayMs) ? spec.delayMs : [spec.delayMs];
  const delayMs = delays[Math.min(attempt, delays.length) - 1];
  const content = spec.content ?? [];
  const callsTools = content.some((block) => block.type === 'tool_use');
  const stop_reason = spec.stop_reason ?? (callsTools ? 'tool_use' : 'end_turn');
  const pacing: StreamPacing = { delayMs: spec.streamDelayMs, holdAfterDeltas: spec.holdAfterDeltas };
  const reply = { kind: 'reply' as const, content, stop_reason, usage: spec.usage, delayMs, pacing };
  if (spec.error !== undefined && (spec.error.times === undefined || attempt <= spec.error.times)) {
    return { kind: 'error', error: spec.error, delayMs, ...(spec.error.cutAfterDeltas !== undefined ? { reply } : {}) };
  }
  return reply;
}

/** Text of the first user message: what routing by `taskIncludes` reads. */
export function taskOf(messages: RequestMessage[]): string {
  const first = messages[0];
  if (first === undefined) return '';
  if (typeof first.content === 'string') return first.content;
  return first.content.flatMap((block) => (block.type === 'text' ? [String(block.text)] : [])).join('\n');
}

/** The tool_result blocks of the last user message, each with the name of the tool_use it answers. */
export function lastToolResultsOf(messages: RequestMessage[]): ToolResultSeen[] {
  const lastUserIndex = messages.map((message) => message.role).lastIndexOf('user');
  const lastUser = messages[lastUserIndex];
  if (lastUser === undefined || typeof lastUser.content === 'string') return [];
  const previous = messages[lastUserIndex - 1];
  const toolNames = new Map<string, string>();
  if (previous !== undefined && typeof previous.content !== 'string') {
    for (const block of previous.content) {
      if (block.type === 'tool_use') toolNames.set(String(block.id), String(block.name));
    }
  }
  return lastUser.content.flatMap((block) => {
    if (block.type !== 'tool_result') return [];
    const id = String(block.tool_use_id);
    const text = toolResultText(block.content);
    const is_error = block.is_error === true;
    return [{ tool_use_id: id, name: toolNames.get(id), is_error, text, json: parseJson(text) }];
  });
}

function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.flatMap((block: { type?: unknown; text?: unknown }) => (block.type === 'text' ? [String(block.text)] : [])).join('\n');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `turns[2].content[0].input: expected object, received string` */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`)).join('');
  const message = oneLine(issue.message.replace(/^Invalid input: /, ''));
  return path === '' ? message : `${path}: ${message}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
