/**
 * A run's live feed as server-sent events, for a web page: `GET /api/feed?id=<workflowId>[&from=<offset>]` with the
 * inbox's bearer token. Each event is `event: <kind>` with the feed item as JSON; the run's own events carry their
 * offset as the SSE id, so a reconnecting page (`Last-Event-ID`) goes on where it left off. `event: end` closes it.
 */
import type http from 'node:http';
import type { SagentClient } from '../client';

/** A comment line this often keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
const WORKFLOW_ID = /^[\x21-\x7e]{1,400}$/;

export async function streamFeed(sagent: SagentClient, url: URL, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const workflowId = url.searchParams.get('id') ?? '';
  if (!WORKFLOW_ID.test(workflowId)) {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'name the run: /api/feed?id=<workflowId>[&from=<offset>]' }));
    return;
  }
  const resumeAt = Number(request.headers['last-event-id']);
  const from = Number.isSafeInteger(resumeAt) && resumeAt >= 0 ? resumeAt + 1 : Math.max(0, Number(url.searchParams.get('from') ?? 0) || 0);
  const stop = new AbortController();
  request.on('close', () => stop.abort());
  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
  const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
  try {
    for await (const item of sagent.feed(workflowId, { from, signal: stop.signal })) {
      const id = item.workflowId === workflowId && item.kind !== 'gap' ? `id: ${item.offset}\n` : '';
      response.write(`${id}event: ${item.kind}\ndata: ${JSON.stringify(item)}\n\n`);
    }
    response.write('event: end\ndata: {}\n\n');
  } catch (err) {
    response.write(`event: error\ndata: ${JSON.stringify({ error: String((err as Error)?.message ?? err).slice(0, 300) })}\n\n`);
  } finally {
    clearInterval(keepalive);
    response.end();
  }
}
