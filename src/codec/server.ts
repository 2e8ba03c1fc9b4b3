/**
 * The codec server: Temporal's remote codec protocol (`POST /encode`, `POST /decode`, each a JSON body
 * `{ payloads: [...] }` with base64 metadata values and data, as the Web UI and `temporal --codec-endpoint` send them)
 * over the encryption codec, so the Web UI and the CLI can show what history stores sealed.
 *
 * Only the Web UI's origins pass CORS, and every request needs the token: as `Authorization: Bearer <token>` (the
 * `temporal` CLI's `--codec-auth`), or in the path, `/token/<token>/decode`, for the Web UI, which sends no header
 * of its own (give it `<url>/token/<token>` as its codec endpoint).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PayloadCodec } from '@temporalio/common';
import { JSONToPayload, payloadToJSON } from '@temporalio/common/lib/proto-utils';

/** Where `sagent codec-server` listens. @default 8888 */
export const DEFAULT_CODEC_PORT = 8888;
/** Bytes of one request body; a history page the UI sends stays far below it. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** Origins of the Web UI allowed to call from a browser (e.g. `http://127.0.0.1:8233`); every other is refused. */
  origins: readonly string[];
  /** @default a random one, to print */
  token?: string;
  /** @default DEFAULT_CODEC_PORT; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export interface CodecServer {
  /** `http://host:port`, for `temporal --codec-endpoint` with `--codec-auth "Bearer <token>"`. */
  url: string;
  /** The endpoint with the token in its path, for the Web UI (`--ui-codec-endpoint`). */
  uiEndpoint: string;
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
  const token = options.token ?? generateToken();
  if (token.length < 16 || !/^[A-Za-z0-9._~-]+$/.test(token)) {
    throw new Error('the codec server token must be at least 16 URL-safe characters (letters, digits, . _ ~ -)');
  }
  const origins = new Set(options.origins.map(normaliseOrigin));
  const server = http.createServer((request, response) => {
    handle(request, response, { codec: options.codec, origins, token }).catch((err: unknown) => {
      if (!response.headersSent) send(response, 500, { error: err instanceof Error ? err.message : String(err) });
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
  token: string;
}

async function handle(request: http.IncomingMessage, response: http.ServerResponse, settings: Settings): Promise<void> {
  const origin = request.headers.origin;
  response.setHeader('Vary', 'Origin');
  if (origin !== undefined) {
    // A browser page of another origin gets nothing, not even an error it could read.
    if (!settings.origins.has(normaliseOrigin(origin))) return send(response, 403, { error: `origin ${origin} is not allowed` });
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  if (request.method === 'OPTIONS') {
    if (origin === undefined) return send(response, 400, { error: 'a preflight needs an Origin' });
    response.setHeader('Access-Control-Allow-Methods', 'POST');
    response.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    response.setHeader('Access-Control-Max-Age', '600');
    response.writeHead(204).end();
    return;
  }
  const { route, pathToken } = parsePath(new URL(request.url ?? '/', 'http://codec').pathname);
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!sameToken(bearer ?? pathToken, settings.token)) {
    response.setHeader('WWW-Authenticate', 'Bearer');
    return send(response, 401, { error: 'a valid codec token is required (Authorization: Bearer <token>, or /token/<token>/ in the path)' });
  }
  if (route === null) return send(response, 404, { error: 'the codec server answers POST /encode and POST /decode' });
  if (request.method !== 'POST') {
    response.setHeader('Allow', 'POST, OPTIONS');
    return send(response, 405, { error: `${route} takes POST` });
  }
  const body = await readBody(request);
  if (body === null) return send(response, 413, { error: `the body exceeds ${MAX_BODY_BYTES} bytes` });
  let payloads;
  try {
    const parsed = JSON.parse(body) as { payloads?: unknown };
    if (!Array.isArray(parsed.payloads)) throw new Error('no "payloads" list');
    payloads = parsed.payloads.map((payload) => JSONToPayload(payload as Parameters<typeof JSONToPayload>[0]));
  } catch (err) {
    return send(response, 400, { error: `the body is not {"payloads":[...]} (${err instanceof Error ? err.message : String(err)})` });
  }
  try {
    const result = route === '/encode' ? await settings.codec.encode(payloads) : await settings.codec.decode(payloads);
    send(response, 200, { payloads: result.map(payloadToJSON) });
  } catch (err) {
    send(response, 400, { error: err instanceof Error ? err.message : String(err) });
  }
}

/** `/encode`, `/decode`, optionally after `/token/<token>` and a namespace segment (`/{namespace}/decode`). */
function parsePath(pathname: string): { route: '/encode' | '/decode' | null; pathToken: string | undefined } {
  const segments = pathname.split('/').filter(Boolean);
  let pathToken: string | undefined;
  if (segments[0] === 'token' && segments.length >= 2) {
    pathToken = decodeURIComponent(segments[1]);
    segments.splice(0, 2);
  }
  const last = segments.at(-1);
  const route = segments.length <= 2 && (last === 'encode' || last === 'decode') ? (`/${last}` as const) : null;
  return { route, pathToken };
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
