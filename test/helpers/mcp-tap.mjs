// A stdio MCP server between a worker and the real one: logs every request the worker sends (method, tool, the
// idempotency key in `_meta`) to MCP_TAP_LOG, one JSON line each, and holds the first call of MCP_TAP_DELAY_TOOL
// for MCP_TAP_DELAY_MS (a worker can be killed meanwhile). Usage: node mcp-tap.mjs <command> [args...]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';

const [command, ...args] = process.argv.slice(2);
const log = process.env.MCP_TAP_LOG;
const delayTool = process.env.MCP_TAP_DELAY_TOOL;
const delayMs = Number(process.env.MCP_TAP_DELAY_MS ?? 0);
const server = spawn(command, args, { stdio: ['pipe', 'inherit', 'inherit'] });
server.on('exit', (code) => process.exit(code ?? 0));

const seen = () =>
  fs.existsSync(log)
    ? fs
        .readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      message = {};
    }
    const name = message.params?.name;
    const key = message.params?._meta?.['sagent/idempotency-key'];
    const hold = message.method === 'tools/call' && name === delayTool && !seen().some((entry) => entry.name === delayTool);
    if (log && message.method) fs.appendFileSync(log, JSON.stringify({ method: message.method, name, key, at: Date.now() }) + '\n');
    if (hold) await new Promise((resolve) => setTimeout(resolve, delayMs));
    server.stdin.write(line + '\n');
  });
});
process.stdin.on('end', () => void queue.then(() => server.stdin.end()));
