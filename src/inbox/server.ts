/**
 * The approval inbox: a small page for approvers who are not engineers. It lists every pending call across runs
 * (via the search attributes, `SagentClient.pending`), with its masked input, the rule that asked, the expiry and
 * the run's UI link, and decides through `SagentClient.decide`, signed with the signed-in approver's key.
 * Every API call needs that approver's bearer token; the approver is the token's, never a name the page sends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SagentClient } from '../client';
import { approverOf, type InboxTokens } from './tokens';
import { INBOX_PAGE, INBOX_SCRIPT, INBOX_STYLE } from './page';
import { streamFeed } from './feed-stream';

/** The largest request body the inbox reads; an edit is checked again by the run. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Headers of every answer: no script but the inbox's own file, no framing by any page (clickjacking an approval),
 * no guessing of types, no run ids leaking to other sites through the Referer.
 */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

const FILES: Readonly<Record<string, { type: string; body: string }>> = {
  '/': { type: 'text/html; charset=utf-8', body: INBOX_PAGE },
  '/inbox.js': { type: 'text/javascript; charset=utf-8', body: INBOX_SCRIPT },
  '/inbox.css': { type: 'text/css; charset=utf-8', body: INBOX_STYLE },
};

export interface InboxOptions {
  sagent: SagentClient;
  tokens: InboxTokens;
  /** The private key (hex) an approver signs with, if they have one here. */
  keyOf: (approver: string) => string | undefined;
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export interface Inbox {
  url: string;
  close(): Promise<void>;
}

interface DecideBody {
  workflowId: string;
  callId: string;
  argsHash: string;
  decision: 'approve' | 'reject';
  reason?: string;
  editedInput?: unknown;
  approver?: string;
}

export async function startInbox(options: InboxOptions): Promise<Inbox> {
  const server = http.createServer((request, response) => {
    handle(options, request, response).catch((err: unknown) => send(response, 500, { error: String((err as Error)?.message ?? err).slice(0, 300) }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // An open page keeps its connection alive: without this, Ctrl-C waits for the approver to close the tab.
        server.closeAllConnections();
      }),
  };
}

async function handle(options: InboxOptions, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://inbox');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
  const file = request.method === 'GET' && Object.hasOwn(FILES, url.pathname) ? FILES[url.pathname] : undefined;
  if (file) {
    response.writeHead(200, { 'content-type': file.type });
    response.end(file.body);
    return;
  }
  if (!url.pathname.startsWith('/api/')) return send(response, 404, { error: 'not found' });
  const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
  const approver = approverOf(options.tokens, bearer);
  if (!approver) return send(response, 401, { error: 'sign in with your inbox token' });

  if (request.method === 'GET' && url.pathname === '/api/pending') {
    const { calls, unanswered } = await options.sagent.pending();
    const listed = calls.map((call) => ({
      ...call,
      uiUrl: options.sagent.uiLink(call.workflowId),
      mayDecide: call.approvers.length === 0 || call.approvers.includes(approver),
    }));
    return send(response, 200, { approver, signs: options.keyOf(approver) !== undefined, calls: listed, unanswered });
  }
  if (request.method === 'GET' && url.pathname === '/api/feed') return streamFeed(options.sagent, url, request, response);
  if (request.method === 'POST' && url.pathname === '/api/decide') {
    const body = (await readJson(request)) as DecideBody | undefined;
    if (!body || typeof body.workflowId !== 'string' || typeof body.callId !== 'string' || typeof body.argsHash !== 'string') {
      return send(response, 400, { error: 'a decision needs workflowId, callId and argsHash' });
    }
    if (body.decision !== 'approve' && body.decision !== 'reject') return send(response, 400, { error: 'decision is approve or reject' });
    if (body.approver !== undefined && body.approver !== approver) {
      return send(response, 403, { error: `you are signed in as ${approver}; you cannot decide as someone else` });
    }
    try {
      const report = await options.sagent.decide({
        workflowId: body.workflowId,
        callId: body.callId,
        decision: body.decision,
        approver,
        ...(typeof body.reason === 'string' && body.reason ? { reason: body.reason } : {}),
        // The page edits the input as shown: a field it left masked is sent with its real value, never as the mask.
        ...(body.editedInput !== undefined ? { editedInput: body.editedInput, keepMasked: true } : {}),
        expectHash: body.argsHash,
        privateKey: options.keyOf(approver) ?? false,
      });
      return send(response, 200, report);
    } catch (err) {
      return send(response, 409, { error: String((err as Error)?.message ?? err).slice(0, 500) });
    }
  }
  return send(response, 404, { error: 'not found' });
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
