/**
 * The scripted model server: speaks enough of the Anthropic Messages API (JSON and server-sent events)
 * that the real `@anthropic-ai/sdk`, pointed at it with `baseURL`, runs unchanged, while scenarios decide
 * what "Claude" answers. Offline demos, tests and benchmarks run the same code path as production:
 * request validation, error bodies and headers, usage with prompt caching.
 *
 *   tsx src/dev/model-server.ts --scenarios src/demo/scenarios [--port 8787]
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { RUN_HEADER, TURN_HEADER } from '../shared/constants';
import type { ContentBlock, ModelUsage } from '../shared/wire';
import { apiId, defaultErrorMessage, errorBody, errorTypeFor, formatServerSentEvent, messageStreamEvents, type ApiMessage } from './message-events';
import { validateMessagesRequest, type MessagesRequest } from './messages-request';
import {
  lastToolResultsOf,
  loadScenarios,
  outcomeFor,
  parseScenario,
  routeScenario,
  taskOf,
  turnSpecFor,
  type InjectedError,
  type Scenario,
  type StreamPacing,
  type TurnOutcome,
} from './scenario';
import { ThinkingSigner, thinkingBudget } from './thinking';
import { cacheCreationByTtl, countInputTokens, countOutputTokens, PromptCache, type CacheCreation } from './token-count';

/** The Messages API refuses bodies larger than this with 413 `request_too_large`. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** One request as the server saw and answered it. */
export interface RecordedRequest {
  /** Also sent as the `request-id` header and in error bodies. */
  requestId: string;
  receivedAt: string;
  method: string;
  path: string;
  /** Request headers, lower-cased, without credentials (`x-api-key`, `authorization`). */
  headers: Record<string, string>;
  /** The parsed JSON body, or null when it was not JSON. */
  body: unknown;
  runId: string | null;
  turn: number | null;
  /** 1 for the first request of its (run, turn); null when the request never reached a scenario. */
  attempt: number | null;
  scenario: string | null;
  stream: boolean;
  /** HTTP status answered; null while pending, 0 when no response was sent (dropped, or the client left). */
  status: number | null;
  /** Anthropic error type when the answer was an error. */
  errorType: string | null;
  usage: ModelUsage | null;
}

/** What `startModelServer` takes: where it listens, the scenarios it plays, and an outage to start with. */
export interface ModelServerOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** The scenarios it plays; more can be added later with `addScenario`. @default [] */
  scenarios?: Scenario[];
  /** Name of the scenario for requests no `match` routes. @default none: such a request is answered 400 */
  defaultScenario?: string;
  /** Called with one line per answered request (the CLI's `--verbose`). @default none */
  log?: (line: string) => void;
  /** An outage from the start (see {@link ModelServer.setOutage}). @default none */
  outage?: OutageSpec;
}

/**
 * A provider outage: every Messages request (for `models`, or every model) is answered with this error, for
 * `durationMs` or until it is switched off. The default is the API's overload: 529 `overloaded_error`.
 */
export interface OutageSpec {
  /** @default 529 */
  status?: number;
  /** @default the API's type for the status (`overloaded_error` for 529) */
  type?: string;
  /** How long it lasts from now; absent: until switched off. */
  durationMs?: number;
  /** Only requests for these models fail; absent: every model. */
  models?: string[];
  /** Sent as `retry-after` (seconds). */
  retryAfter?: number;
}

/** A running scripted Messages-API server: point the Anthropic SDK's `baseURL` at `url`; every request is recorded. */
export interface ModelServer {
  url: string;
  port: number;
  /** Every request received, in arrival order. */
  requests: RecordedRequest[];
  /** Adds a scenario after the ones already loaded; names must be unique. */
  addScenario(scenario: Scenario): void;
  /** Starts an outage (replacing any), or ends it with null. Also `POST`/`DELETE /admin/outage` with the spec as JSON. */
  setOutage(outage: OutageSpec | null): void;
  /**
   * Revokes API keys: a request with one of them is answered 401 `authentication_error`, as the API answers a revoked
   * or invalid key. An empty list restores them all. Also `PUT /admin/revoked-keys` with `{ "keys": [...] }`.
   */
  revokeKeys(keys: string[]): void;
  /** Lets every stream held by a turn's `holdAfterDeltas` go on. Also `POST /admin/release-streams`. */
  releaseStreams(): void;
  close(): Promise<void>;
}

/** An answer the server sends: a message (JSON or SSE), a count, or an API error. */
type Answer =
  | { kind: 'message'; message: ApiMessage; stream: boolean; pacing?: StreamPacing }
  | { kind: 'count'; input_tokens: number }
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  | { kind: 'stream_error'; message: ApiMessage; type: string; errorMessage: string }
  | { kind: 'stall'; message: ApiMessage }
  | { kind: 'garbage'; stream: boolean }
  | { kind: 'drop' }
  | { kind: 'admin'; state: unknown };

/** Starts the server on loopback; resolves once it listens. */
export async function startModelServer(options: ModelServerOptions = {}): Promise<ModelServer> {
  const scenarios: Scenario[] = [];
  const addScenario = (scenario: Scenario): void => {
    const checked = parseScenario(scenario);
    if (scenarios.some((loaded) => loaded.name === checked.name)) {
      throw new Error(`scenario "${checked.name}" is already loaded`);
    }
    scenarios.push(checked);
  };
  for (const scenario of options.scenarios ?? []) addScenario(scenario);
  if (options.defaultScenario !== undefined && !scenarios.some((s) => s.name === options.defaultScenario)) {
    const loaded = scenarios.map((s) => s.name).join(', ') || 'none';
    throw new Error(`default scenario "${options.defaultScenario}" is not loaded (loaded: ${loaded})`);
  }

  const requests: RecordedRequest[] = [];
  const attempts = new Map<string, number>();
  let outage: (OutageSpec & { untilMs: number }) | null = null;
  let revokedKeys = new Set<string>();
  const setOutage = (spec: OutageSpec | null): void => {
    outage = spec === null ? null : { ...checkOutage(spec), untilMs: spec.durationMs === undefined ? Infinity : Date.now() + spec.durationMs };
  };
  const revokeKeys = (keys: string[]): void => {
    revokedKeys = new Set(keys);
  };
  if (options.outage) setOutage(options.outage);
  const cache = new PromptCache();
  const signer = new ThinkingSigner();
  let held = openGate();
  const releaseStreams = (): void => {
    held.open();
    held = openGate();
  };
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  /** Decides the answer to one request; fills in what it learns on the record as it goes. */
  async function answer(req: IncomingMessage, raw: Buffer, record: RecordedRequest): Promise<Answer> {
    const invalid = (message: string): Answer => apiError(400, message);
    const endpoint = `${req.method} ${record.path}`;
    if (record.path.startsWith('/admin/')) return admin(endpoint, record.body);
    if (endpoint !== 'POST /v1/messages' && endpoint !== 'POST /v1/messages/count_tokens') {
      return apiError(404, `Not found: ${endpoint}`);
    }
    if (raw.length > MAX_REQUEST_BYTES) {
      return apiError(413, defaultErrorMessage('request_too_large'));
    }
    if (req.headers['x-api-key'] === undefined && req.headers.authorization === undefined) {
      return apiError(401, 'x-api-key header is required');
    }
    const key = header(req, 'x-api-key') ?? header(req, 'authorization')?.replace(/^Bearer\s+/i, '') ?? '';
    if (revokedKeys.has(key)) return apiError(401, 'invalid x-api-key: the key was revoked');
    if (req.headers['anthropic-version'] === undefined) return invalid('anthropic-version: header is required');
    if (record.body === null) return invalid('The request body is not valid JSON.');

    const counting = record.path === '/v1/messages/count_tokens';
    const validation = validateMessagesRequest(record.body, { forCounting: counting });
    if (!validation.success) return invalid(validation.error);
    const body = validation.data;
    if (counting) return { kind: 'count', input_tokens: countInputTokens(body) };
    const thinkingProblem = signer.problem(body);
    if (thinkingProblem !== undefined) return invalid(thinkingProblem);
    record.stream = body.stream === true;

    const turnHeader = header(req, TURN_HEADER);
    const assistantMessages = body.messages.filter((message) => message.role === 'assistant').length;
    const turn = turnHeader === null ? 1 + assistantMessages : Number(turnHeader);
    if (!Number.isInteger(turn) || turn < 1) {
      return invalid(`${TURN_HEADER}: header must be a positive integer, got "${turnHeader}"`);
    }
    const runId = header(req, RUN_HEADER);
    const task = taskOf(body.messages);
    record.runId = runId;
    record.turn = turn;
    // An outage answers before any scenario: the scenario's attempts count only the requests it answers.
    if (outage && Date.now() >= outage.untilMs) outage = null;
    if (outage && (outage.models === undefined || outage.models.includes(body.model))) {
      const status = outage.status ?? 529;
      const type = outage.type ?? errorTypeFor(status);
      const headers: Record<string, string> = outage.retryAfter === undefined ? {} : { 'retry-after': String(outage.retryAfter) };
      return { kind: 'error', status, type, message: `${defaultErrorMessage(type)} (scripted outage)`, headers };
    }

    const scenario = routeScenario(scenarios, { runId, task }, options.defaultScenario);
    if (scenario === undefined) {
      const loaded = scenarios.map((s) => s.name).join(', ') || 'none';
      return invalid(
        `scripted model server: no scenario matched run ${JSON.stringify(runId)} ` + `with task ${JSON.stringify(excerpt(task))} (loaded: ${loaded})`,
      );
    }
    record.scenario = scenario.name;

    // Attempts are counted per (run, turn) so a retried activity sees its own turn again, never the next.
    const runKey = runId ?? `task:${createHash('sha256').update(task).digest('hex')}`;
    const attemptKey = `${runKey}\u0000${turn}`;
    const attempt = (attempts.get(attemptKey) ?? 0) + 1;
    attempts.set(attemptKey, attempt);
    record.attempt = attempt;

    const spec = await turnSpecFor(scenario, {
      runId,
      turn,
      attempt,
      task,
      body,
      lastToolResults: lastToolResultsOf(body.messages),
    });
    if (!spec.success) return invalid(`scripted model server: ${spec.error}`);
    const outcome = outcomeFor(spec.data, attempt);
    if (outcome.delayMs > 0) await sleep(outcome.delayMs);
    const reply = outcome.kind === 'reply' ? outcome : outcome.reply;
    const message = (): ApiMessage => buildMessage(body, reply!, cache, thinkingBudget(body) === null ? undefined : signer, turn);
    if (outcome.kind === 'error' && !(reply && record.stream)) {
      return injectedError(outcome.error, body, `scenario "${scenario.name}", turn ${turn}, attempt ${attempt}`);
    }
    // A cut attempt streams part of the turn's content, then the connection drops.
    const cutAfterDeltas = outcome.kind === 'error' ? outcome.error.cutAfterDeltas : undefined;
    return {
      kind: 'message',
      message: message(),
      stream: record.stream,
      pacing: { ...reply!.pacing, ...(cutAfterDeltas !== undefined ? { cutAfterDeltas } : {}) },
    };
  }

  /** The admin endpoints that switch an outage or revoked keys on and off while runs go on. */
  function admin(endpoint: string, body: unknown): Answer {
    try {
      if (endpoint === 'POST /admin/outage') setOutage((body ?? {}) as OutageSpec);
      else if (endpoint === 'DELETE /admin/outage') setOutage(null);
      else if (endpoint === 'PUT /admin/revoked-keys') revokeKeys(checkKeys(body));
      else if (endpoint === 'POST /admin/release-streams') releaseStreams();
      else return apiError(404, `Not found: ${endpoint} (admin: POST|DELETE /admin/outage, PUT /admin/revoked-keys, POST /admin/release-streams)`);
    } catch (err) {
      return apiError(400, (err as Error).message);
    }
    return { kind: 'admin', state: { outage, revokedKeys: revokedKeys.size } };
  }

  function injectedError(error: InjectedError, body: MessagesRequest, where: string): Answer {
    if (error.dropConnection) return { kind: 'drop' };
    if (error.garbage) return { kind: 'garbage', stream: body.stream === true };
    if (error.stallAfterStart && body.stream === true) {
      const usage: ModelUsage = { input_tokens: countInputTokens(body), cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
      return { kind: 'stall', message: apiMessage(body.model, [], null, usage) };
    }
    const status = error.status ?? 500;
    const type = error.type ?? errorTypeFor(status);
    const message = error.message ?? `${defaultErrorMessage(type)} (scripted: ${where})`;
    if (error.midStream && body.stream === true) {
      const usage: ModelUsage = {
        input_tokens: countInputTokens(body),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: 0,
      };
      const started = apiMessage(body.model, [], null, usage);
      return { kind: 'stream_error', message: started, type, errorMessage: message };
    }
    const headers: Record<string, string> = { ...error.headers };
    if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
    if (error.retryAfterMs !== undefined) headers['retry-after-ms'] = String(error.retryAfterMs);
    return { kind: 'error', status, type, message, headers };
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const record = recordOf(req, raw);
      requests.push(record);
      // Every failure became a 500 answer above: nothing is left to reject.
      void answer(req, raw, record)
        .catch((err): Answer => apiError(500, `scripted model server: ${String(err)}`))
        .then(async (result) => {
          await send(res, record, result, { sleep, held: () => held.opened });
          options.log?.(logLine(record));
        });
    });
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    addScenario,
    setOutage,
    revokeKeys,
    releaseStreams,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** An outage as the admin endpoint or the CLI gives it, checked: a bad one says which field to fix. */
function checkOutage(spec: OutageSpec): OutageSpec {
  if (typeof spec !== 'object' || spec === null) throw new Error('outage: expected an object such as {"durationMs": 600000}');
  const { status, type, durationMs, models, retryAfter } = spec;
  if (status !== undefined && (!Number.isInteger(status) || status < 400 || status > 599)) throw new Error('outage.status: an HTTP error status (400-599)');
  if (type !== undefined && typeof type !== 'string') throw new Error('outage.type: an API error type such as "overloaded_error"');
  if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs > 0)) throw new Error('outage.durationMs: a positive number of milliseconds');
  if (models !== undefined && !(Array.isArray(models) && models.every((model) => typeof model === 'string')))
    throw new Error('outage.models: a list of model names');
  if (retryAfter !== undefined && !(Number.isFinite(retryAfter) && retryAfter >= 0)) throw new Error('outage.retryAfter: seconds, 0 or more');
  return { status, type, durationMs, models, retryAfter };
}

function checkKeys(body: unknown): string[] {
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string'))
    throw new Error('revoked-keys: expected {"keys": ["<api key>", ...]} (an empty list restores them)');
  return keys;
}

function apiError(status: number, message: string): Answer {
  return { kind: 'error', status, type: errorTypeFor(status), message };
}

function buildMessage(
  body: MessagesRequest,
  reply: Extract<TurnOutcome, { kind: 'reply' }>,
  cache: PromptCache,
  signer?: ThinkingSigner,
  turn = 1,
): ApiMessage {
  const answered: ContentBlock[] = reply.content.map((block) =>
    block.type === 'text' ? { type: 'text', text: block.text } : { type: 'tool_use', id: apiId('toolu'), name: block.name, input: block.input },
  );
  // With thinking on, a signed thinking block opens the answer, as the API's do.
  const about = answered.map((block) => (block.type === 'tool_use' ? `call ${block.name}` : block.type === 'text' ? 'answer' : block.type)).join(', ');
  const content: ContentBlock[] = signer ? [signer.block(turn, `I will ${about}.`), ...answered] : answered;
  const usage: ModelUsage = { ...cache.account(body), output_tokens: countOutputTokens(content), ...reply.usage };
  return apiMessage(body.model, content, reply.stop_reason, usage, cacheCreationByTtl(body, usage.cache_creation_input_tokens));
}

function apiMessage(
  model: string,
  content: ContentBlock[],
  stopReason: ApiMessage['stop_reason'],
  usage: ModelUsage,
  cacheCreation?: CacheCreation,
): ApiMessage {
  return {
    id: apiId('msg'),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens,
      ...(cacheCreation ? { cache_creation: cacheCreation } : {}),
      output_tokens: usage.output_tokens,
      service_tier: 'standard',
    },
  };
}

/** What a paced stream waits on: the server's timers (cleared on close), and the gate `releaseStreams` opens. */
interface StreamClock {
  sleep(ms: number): Promise<void>;
  held(): Promise<void>;
}

function openGate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Writes a streamed answer's events, waiting, holding or cutting the connection where its pacing says. */
async function writeStream(res: ServerResponse, message: ApiMessage, pacing: StreamPacing, clock: StreamClock): Promise<void> {
  let deltas = 0;
  for (const event of messageStreamEvents(message)) {
    if (event.event === 'content_block_delta') {
      if (pacing.cutAfterDeltas !== undefined && deltas >= pacing.cutAfterDeltas) {
        // What was written goes out first; then the connection closes with the body unfinished.
        res.socket?.end();
        return;
      }
      if (pacing.delayMs) await clock.sleep(pacing.delayMs);
      deltas += 1;
    }
    if (res.destroyed) return;
    res.write(formatServerSentEvent(event));
    if (event.event === 'content_block_delta' && deltas === pacing.holdAfterDeltas) {
      let released = false;
      const gate = clock.held();
      void gate.then(() => (released = true));
      // Held, the stream pings every second as the API's streams do, so the client's idle deadline never passes.
      while (!released && !res.destroyed) {
        await Promise.race([gate, clock.sleep(1000)]);
        if (!released && !res.destroyed) res.write(formatServerSentEvent({ event: 'ping', data: { type: 'ping' } }));
      }
    }
  }
  res.end();
}

async function send(res: ServerResponse, record: RecordedRequest, answer: Answer, clock: StreamClock): Promise<void> {
  if (res.destroyed || res.socket === null || res.socket.destroyed) {
    record.status = 0;
    return;
  }
  const requestHeaders = { 'request-id': record.requestId };
  const streamHeaders = {
    ...requestHeaders,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
  };
  switch (answer.kind) {
    case 'drop':
      record.status = 0;
      res.socket.destroy();
      return;
    case 'error': {
      record.status = answer.status;
      record.errorType = answer.type;
      const body = errorBody(answer.type, answer.message, record.requestId);
      writeJson(res, answer.status, { ...answer.headers, ...requestHeaders }, body);
      return;
    }
    case 'admin':
      record.status = 200;
      writeJson(res, 200, requestHeaders, answer.state);
      return;
    case 'count':
      record.status = 200;
      writeJson(res, 200, requestHeaders, { input_tokens: answer.input_tokens });
      return;
    case 'message':
      record.status = 200;
      record.usage = messageUsage(answer.message);
      if (!answer.stream) {
        writeJson(res, 200, requestHeaders, answer.message);
        return;
      }
      res.writeHead(200, streamHeaders);
      await writeStream(res, answer.message, answer.pacing ?? {}, clock);
      return;
    case 'garbage':
      // What a broken proxy or a truncated body looks like to the SDK: 200, then no Messages-API answer.
      record.status = 200;
      if (answer.stream) {
        res.writeHead(200, streamHeaders);
        res.end('event: message_start\ndata: {"type":"message_start","message":{"id":\n\n');
      } else {
        res.writeHead(200, { ...requestHeaders, 'content-type': 'application/json' });
        res.end('{"id":"msg_garbled","type":"message","content":[{"type":');
      }
      return;
    case 'stall': {
      // A stream that opens and then goes quiet; the client must give up on its own.
      record.status = 200;
      res.writeHead(200, streamHeaders);
      res.write(formatServerSentEvent(messageStreamEvents(answer.message)[0]));
      return;
    }
    case 'stream_error': {
      // The API can fail after it has answered 200; the SDK then raises from the event stream.
      record.status = 200;
      record.errorType = answer.type;
      res.writeHead(200, streamHeaders);
      const [messageStart] = messageStreamEvents(answer.message);
      res.write(formatServerSentEvent(messageStart));
      const data = { type: 'error', error: { type: answer.type, message: answer.errorMessage } };
      res.end(formatServerSentEvent({ event: 'error', data }));
      return;
    }
  }
}

function writeJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function messageUsage(message: ApiMessage): ModelUsage {
  const { service_tier: _tier, ...usage } = message.usage;
  return usage;
}

function recordOf(req: IncomingMessage, raw: Buffer): RecordedRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'x-api-key' || name === 'authorization' || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  let body: unknown = null;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    // Recorded as null; the request is answered 400.
  }
  return {
    requestId: apiId('req'),
    receivedAt: new Date().toISOString(),
    method: req.method ?? 'GET',
    path: (req.url ?? '/').split('?')[0],
    headers,
    body,
    runId: null,
    turn: null,
    attempt: null,
    scenario: null,
    stream: false,
    status: null,
    errorType: null,
    usage: null,
  };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

function excerpt(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function logLine(record: RecordedRequest): string {
  const where = record.turn === null ? '' : ` run=${record.runId ?? '-'} turn=${record.turn} attempt=${record.attempt ?? '-'}`;
  const scenario = record.scenario === null ? '' : ` scenario=${record.scenario}`;
  const error = record.errorType === null ? '' : ` ${record.errorType}`;
  return `${record.method} ${record.path}${where}${scenario} → ${record.status}${error}`;
}

interface CliFlags {
  scenarios: string;
  port: string;
  host: string;
  defaultScenario?: string;
  verbose?: boolean;
  outageMs?: string;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('model-server')
    .description('Scripted Anthropic Messages API server for offline runs, tests and benchmarks')
    .requiredOption('--scenarios <path>', "scenario file or directory of *.json files (the demo's: src/demo/scenarios)")
    .option('--port <port>', 'port to listen on (0 = any free port)', '8787')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--default-scenario <name>', 'scenario for runs that no match routes')
    .option('--verbose', 'print one line per request')
    .option('--outage-ms <ms>', 'start with an outage: every request answers 529 overloaded_error for this long (POST/DELETE /admin/outage steers it)')
    .parse(argv);
  const flags = program.opts<CliFlags>();
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port: expected a port number, got "${flags.port}"`);
  }

  const scenarios = loadScenarios(flags.scenarios);
  const server = await startModelServer({
    port,
    host: flags.host,
    scenarios,
    defaultScenario: flags.defaultScenario,
    log: flags.verbose ? (line) => console.log(line) : undefined,
    ...(flags.outageMs !== undefined ? { outage: { durationMs: Number(flags.outageMs) } } : {}),
  });
  console.log(`model server listening on ${server.url} (scenarios: ${scenarios.map((s) => s.name).join(', ')})`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv).catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
