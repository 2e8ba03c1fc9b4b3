/**
 * The approval inbox: a small page for approvers who are not engineers. It lists every pending call across runs
 * (via the search attributes, `SagentClient.pending`), with its masked input, the rule that asked, the expiry and
 * the run's UI link, and decides through `SagentClient.decide`, signed with the signed-in approver's key: a key on
 * this machine (`signing: 'server'`), or a key that never leaves the approver's browser (`signing: 'browser'`: the
 * page signs the exact text `/api/prepare` returns, after checking it says what the person chose, and the inbox only
 * relays the signed decision; the run verifies it). Every API call needs that approver's bearer token; the approver
 * is the token's, never a name the page sends.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SagentClient } from '../client';
import type { DecisionRequest } from '../operations/approvals';
import { isHex } from '../policies/signature';
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
  /** The private key (hex) an approver signs with, if they have one here (`signing: 'server'` only). */
  keyOf?: (approver: string) => string | undefined;
  /**
   * Where decisions are signed: with each approver's key on this machine (`keyOf`), or in each approver's own browser
   * (WebCrypto Ed25519, a key the page creates and never exports), so a signature proves the person, not only a token.
   * @default 'server'
   */
  signing?: 'server' | 'browser';
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
  /** Browser signing: the page's signature over the prepared text, and the expiry that text names. */
  signature?: string;
  expiresAt?: string;
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

  const inBrowser = options.signing === 'browser';
  if (request.method === 'GET' && url.pathname === '/api/pending') {
    const { calls, unanswered } = await options.sagent.pending();
    const listed = calls.map((call) => ({
      ...call,
      uiUrl: options.sagent.uiLink(call.workflowId),
      mayDecide: call.approvers.length === 0 || call.approvers.includes(approver),
    }));
    const signs = inBrowser ? 'browser' : options.keyOf?.(approver) !== undefined;
    return send(response, 200, { approver, signs, calls: listed, unanswered });
  }
  if (request.method === 'GET' && url.pathname === '/api/feed') return streamFeed(options.sagent, url, request, response);
  if (request.method === 'POST' && (url.pathname === '/api/decide' || url.pathname === '/api/prepare')) {
    const body = (await readJson(request)) as DecideBody | undefined;
    const checked = decisionOf(body, approver);
    if (typeof checked === 'object' && 'status' in checked) return send(response, checked.status, { error: checked.error });
    try {
      if (url.pathname === '/api/prepare') {
        if (!inBrowser) return send(response, 400, { error: 'this inbox signs with the keys it holds: send the decision to /api/decide' });
        const prepared = await options.sagent.prepareDecision(checked);
        return send(response, 200, { workflowId: prepared.workflowId, message: prepared.message });
      }
      if (inBrowser) {
        // The inbox holds no key: it relays what the approver's browser signed, and the run checks the signature.
        if (!isHex(body!.signature, 128) || typeof body!.expiresAt !== 'string') {
          return send(response, 400, { error: 'this inbox relays only decisions signed in your browser: a signature (128 hex) and its expiresAt' });
        }
        return send(response, 200, await options.sagent.decide({ ...checked, signature: { signature: body!.signature, expiresAt: body!.expiresAt } }));
      }
      // The page edits the input as shown: a field it left masked is sent with its real value, never as the mask.
      const keepMasked = checked.editedInput !== undefined ? { keepMasked: true } : {};
      return send(response, 200, await options.sagent.decide({ ...checked, ...keepMasked, privateKey: options.keyOf?.(approver) ?? false }));
    } catch (err) {
      const status = (err as Error)?.name === 'RangeError' ? 400 : 409;
      return send(response, status, { error: String((err as Error)?.message ?? err).slice(0, 500) });
    }
  }
  return send(response, 404, { error: 'not found' });
}

/** The decision a request body asks for, made as `approver`; or the answer that says what is wrong with it. */
function decisionOf(body: DecideBody | undefined, approver: string): DecisionRequest | { status: number; error: string } {
  if (!body || typeof body.workflowId !== 'string' || typeof body.callId !== 'string' || typeof body.argsHash !== 'string') {
    return { status: 400, error: 'a decision needs workflowId, callId and argsHash' };
  }
  if (body.decision !== 'approve' && body.decision !== 'reject') return { status: 400, error: 'decision is approve or reject' };
  if (body.approver !== undefined && body.approver !== approver) {
    return { status: 403, error: `you are signed in as ${approver}; you cannot decide as someone else` };
  }
  return {
    workflowId: body.workflowId,
    callId: body.callId,
    decision: body.decision,
    approver,
    ...(typeof body.reason === 'string' && body.reason ? { reason: body.reason } : {}),
    ...(body.editedInput !== undefined ? { editedInput: body.editedInput } : {}),
    expectHash: body.argsHash,
  };
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
