/**
 * Optional peer dependencies load on use: importing sagent loads neither OpenTelemetry nor the MCP SDK, and a
 * feature whose package is missing says which package to install.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { MissingPeerDependencyError, requirePeer, resolvePeer } from '../../src/peers';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');

test('a missing optional peer is an error naming the feature, the package and the range to install', () => {
  let thrown: unknown;
  try {
    requirePeer('@sagent-missing/peer/lib/thing', 'a feature');
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toMatchObject({ name: 'MissingPeerDependencyError', packageName: '@sagent-missing/peer', feature: 'a feature' });
  expect((thrown as Error).message).toBe(
    "a feature needs @sagent-missing/peer, an optional peer dependency of sagent that is not installed: run npm install @sagent-missing/peer@'latest'",
  );
  expect(() => resolvePeer('sagent-missing-peer', 'x')).toThrow(MissingPeerDependencyError);
});

test('the message gives the range sagent declares for a known peer', () => {
  expect(new MissingPeerDependencyError('@modelcontextprotocol/sdk', 'mcpServers').message).toMatch(/npm install @modelcontextprotocol\/sdk@'\^1\.\d+\.\d+'$/);
});

test('a module missing inside an installed package is not mistaken for a missing peer', () => {
  expect(() => requirePeer('zod/no-such-entry', 'x')).toThrow(
    expect.objectContaining({ code: expect.stringMatching(/MODULE_NOT_FOUND|ERR_PACKAGE_PATH_NOT_EXPORTED/) }),
  );
});

test('importing sagent, the client and the worker loads neither the OpenTelemetry SDK nor the MCP SDK', async () => {
  // @opentelemetry/api is left out: the Anthropic SDK loads it itself.
  const script = [
    "require('./src/index');",
    'const loaded = Object.keys(require.cache).filter((file) => /node_modules\\/(@opentelemetry\\/(?!api\\/)|@modelcontextprotocol|@temporalio\\/interceptors-opentelemetry\\/)/.test(file));',
    'console.log(JSON.stringify(loaded));',
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', 'tsx/cjs', '-e', script], { cwd: ROOT });
  expect(JSON.parse(stdout)).toEqual([]);
});
