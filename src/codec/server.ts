/**
 * The codec server: Temporal's remote codec protocol (`POST /encode`, `POST /decode`, each a JSON body
 * `{ payloads: [...] }` with base64 metadata values and data, as the Web UI and `temporal --codec-endpoint` send them)
 * over the encryption codec, so the Web UI and the CLI can show what history stores sealed.
 *
 * Only the Web UI's origins pass CORS, and every request needs a token: as `Authorization: Bearer <token>` (the
 * `temporal` CLI's `--codec-auth`), or in the path, `/token/<token>/decode`, for the Web UI, which sends no header
 * of its own. Each person has their own token (`people`), which may be limited to some namespaces, and each sets it
 * in their own browser (the UI's Codec Server setting, kept in that browser), never in the UI's cluster-wide
 * settings, which the UI serves to anyone who loads it. Every request is logged: who, which namespace, what.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { JSONToPayload, payloadToJSON } from '@temporalio/common/lib/proto-utils';

/** Where `sagent codec-server` listens. @default 8888 */
export const DEFAULT_CODEC_PORT = 8888;
/** Bytes of one request body; a history page the UI sends stays far below it. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

/** One person who may use the codec server, with their own token. */
export interface CodecPerson {
  /** Who they are, as the access log names them. */
  name: string;
  /** Their own bearer token, at least 16 URL-safe characters. */
  token: string;
  /** The namespaces whose payloads they may decode and encode. @default every namespace */
  namespaces?: readonly string[];
}

/** One line of the access log: who asked for what, and what they got. */
export interface CodecAccess {
  at: string;
  /** The person whose token came with the request; null without a valid one. */
  who: string | null;
  route: '/encode' | '/decode' | null;
  /** The namespace the request named (the Web UI's `X-Namespace` header, or `/{namespace}/decode`). */
  namespace: string | null;
  origin: string | null;
  /** How many payloads, and a short SHA-256 of each as sent: find them in a run's history (`sagent history`) to say which run. */
  payloads: number;
  digests: string[];
  outcome: 'ok' | 'refused' | 'error';
  status: number;
  why?: string;
}

/** What `startCodecServer` takes: the codec, the UI origins it answers, and who may decode. */
export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins of the Web UI allowed to call from a browser (e.g. `http://127.0.0.1:8233`); every other is refused. */
  origins: readonly string[];
  /** A token for the operator who started the server, logged as `token`. @default a random one, to print (none when `people` is given) */
  token?: string;
  /** The people who may decode, each with their own token and namespaces. @default only the holder of `token` */
  people?: readonly CodecPerson[];
  /** Where each request's {@link CodecAccess} goes. @default one JSON line per request on stderr */
  log?: (access: CodecAccess) => void;
  /** @default DEFAULT_CODEC_PORT; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/** A running codec server: its URL for the CLI, its endpoint for a browser, its token, and how to close it. */
export interface CodecServer {
  /** `http://host:port`, for `temporal --codec-endpoint` with `--codec-auth "Bearer <token>"`. */
  url: string;
  /** The endpoint with the operator's token in its path, for one person's browser (the UI's Codec Server setting). */
  uiEndpoint: string;
  /** The operator's token; empty when only `people` may use the server. */
  token: string;
  port: number;
  close(): Promise<void>;
}

/** The Web UI origins to allow for a UI base URL: as typed with localhost and with 127.0.0.1. */
export function uiOrigins(uiUrl: string): string[] {
  const origin = new URL(uiUrl).origin;
  return [...new Set([origin, origin.replace('//localhost:', '//127.0.0.1:'), origin.replace('//127.0.0.1:', '//localhost:')])];
}

/** A fresh bearer token. */
export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Starts the codec server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const token = options.token ?? (options.people?.length ? '' : generateToken());
  const people = [...(token ? [{ name: 'token', token }] : []), ...(options.people ?? [])];
  for (const person of people) {
    if (person.token.length < 16 || !/^[A-Za-z0-9._~-]+$/.test(person.token)) {
      throw new Error(`the codec server token of ${person.name} must be at least 16 URL-safe characters (letters, digits, . _ ~ -)`);
    }
  }
  if (new Set(people.map((person) => person.token)).size !== people.length)
    throw new Error('two people of the codec server share a token: give each their own');
  const origins = new Set(options.origins.map(normaliseOrigin));
  const log = options.log ?? ((access: CodecAccess) => process.stderr.write(`${JSON.stringify(access)}\n`));
  const server = http.createServer((request, response) => {
    const access: CodecAccess = {
      at: new Date().toISOString(),
      who: null,
      route: null,
      namespace: null,
      origin: request.headers.origin ?? null,
      payloads: 0,
      digests: [],
      outcome: 'refused',
      status: 0,
    };
    handle(request, response, { codec: options.codec, origins, people }, access)
      .catch((err: unknown) => {
        access.outcome = 'error';
        access.why = err instanceof Error ? err.message : String(err);
        if (!response.headersSent) send(response, 500, { error: access.why });
      })
      .finally(() => {
        // Preflights carry no token and no payload: only the requests that could read something are logged.
        if (request.method === 'OPTIONS') return;
        access.status = response.statusCode;
        log(access);
      });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_CODEC_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host}:${port}`;
  return {
    url,
    uiEndpoint: `${url}/token/${token}`,
    token,
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

interface Settings {
  codec: PayloadCodec;
  origins: ReadonlySet<string>;
  people: readonly CodecPerson[];
}

async function handle(request: http.IncomingMessage, response: http.ServerResponse, settings: Settings, access: CodecAccess): Promise<void> {
  const origin = request.headers.origin;
  response.setHeader('Vary', 'Origin');
  if (origin !== undefined) {
    // A browser page of another origin gets nothing, not even an error it could read.
    if (!settings.origins.has(normaliseOrigin(origin))) return refuse(response, access, 403, `origin ${origin} is not allowed`);
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  if (request.method === 'OPTIONS') {
    if (origin === undefined) return refuse(response, access, 400, 'a preflight needs an Origin');
    response.setHeader('Access-Control-Allow-Methods', 'POST');
    response.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    response.setHeader('Access-Control-Max-Age', '600');
    response.writeHead(204).end();
    return;
  }
  const { route, pathToken, pathNamespace } = parsePath(new URL(request.url ?? '/', 'http://codec').pathname);
  access.route = route;
  const headerNamespace = request.headers['x-namespace'];
  access.namespace = (typeof headerNamespace === 'string' && headerNamespace) || pathNamespace || null;
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  const person = personOf(settings.people, bearer ?? pathToken);
  if (!person) {
    response.setHeader('WWW-Authenticate', 'Bearer');
    return refuse(response, access, 401, 'a valid codec token is required (Authorization: Bearer <token>, or /token/<token>/ in the path)');
  }
  access.who = person.name;
  if (route === null) return refuse(response, access, 404, 'the codec server answers POST /encode and POST /decode');
  if (person.namespaces && !(access.namespace !== null && person.namespaces.includes(access.namespace))) {
    return refuse(response, access, 403, `${person.name} may not use the codec for namespace ${access.namespace ?? '(none named: send X-Namespace)'}`);
  }
  if (request.method !== 'POST') {
    response.setHeader('Allow', 'POST, OPTIONS');
    return refuse(response, access, 405, `${route} takes POST`);
  }
  const body = await readBody(request);
  if (body === null) return refuse(response, access, 413, `the body exceeds ${MAX_BODY_BYTES} bytes`);
  let payloads;
  try {
    const parsed = JSON.parse(body) as { payloads?: unknown };
    if (!Array.isArray(parsed.payloads)) throw new Error('no "payloads" list');
    payloads = parsed.payloads.map((payload) => JSONToPayload(payload as Parameters<typeof JSONToPayload>[0]));
    access.payloads = payloads.length;
    access.digests = payloads.map((payload) =>
      createHash('sha256')
        .update(payload.data ?? new Uint8Array())
        .digest('hex')
        .slice(0, 16),
    );
  } catch (err) {
    return refuse(response, access, 400, `the body is not {"payloads":[...]} (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    const result = route === '/encode' ? await settings.codec.encode(payloads) : await settings.codec.decode(payloads);
    access.outcome = 'ok';
    send(response, 200, { payloads: result.map(payloadToJSON) });
  } catch (err) {
    access.outcome = 'error';
    access.why = err instanceof Error ? err.message : String(err);
    send(response, 400, { error: access.why });
  }
}

function refuse(response: http.ServerResponse, access: CodecAccess, status: number, why: string): void {
  access.outcome = 'refused';
  access.why = why;
  send(response, status, { error: why });
}

/** The person a token belongs to, each compared in constant time. */
function personOf(people: readonly CodecPerson[], token: string | undefined): CodecPerson | undefined {
  let found: CodecPerson | undefined;
  for (const person of people) if (sameToken(token, person.token)) found = person;
  return found;
}

/** `/encode`, `/decode`, optionally after `/token/<token>` and a namespace segment (`/{namespace}/decode`). */
function parsePath(pathname: string): { route: '/encode' | '/decode' | null; pathToken: string | undefined; pathNamespace: string | undefined } {
  const segments = pathname.split('/').filter(Boolean);
  let pathToken: string | undefined;
  if (segments[0] === 'token' && segments.length >= 2) {
    pathToken = decodeURIComponent(segments[1]);
    segments.splice(0, 2);
  }
  const last = segments.at(-1);
  const route = segments.length <= 2 && (last === 'encode' || last === 'decode') ? (`/${last}` as const) : null;
  return { route, pathToken, pathNamespace: route && segments.length === 2 ? decodeURIComponent(segments[0]) : undefined };
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function normaliseOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

function readBody(request: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    // Past the limit the rest is read and dropped, so the 413 still reaches the client.
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(bytes > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
