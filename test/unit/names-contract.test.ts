/**
 * The names contract: every name sagent persists in a history or that clients depend on, and the shape of the run
 * input and of what continue-as-new carries. A run started by one version is read, signalled and replayed by the next,
 * so these change only by adding (DESIGN.md, guarantee 12). The snapshot is test/contract/names.json; a change to it
 * is a deliberate, reviewed diff: SAGENT_UPDATE_CONTRACT=1 npx jest test/unit/names-contract.test.ts rewrites it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import * as delegation from '../../src/shared/delegation';
import * as feed from '../../src/shared/feed';
import * as mcp from '../../src/shared/mcp';
import * as messages from '../../src/shared/messages';
import { SEARCH_ATTRIBUTES, WORKFLOW_TYPE } from '../../src/shared/constants';
import { runInputSchema } from '../../src/shared/run-input';
import { createAnthropicClient } from '../../src/models/anthropic';
import { PATCHES } from '../../src/workflows/patches';
import { REFUSAL_MEMO_KEY } from '../../src/workflows/refusals';
import { sagentActivities } from '../../src/worker';
import { typeShapes } from '../helpers/type-shape';

const SNAPSHOT = path.join(__dirname, '..', 'contract', 'names.json');
const UPDATE = 'SAGENT_UPDATE_CONTRACT=1 npx jest test/unit/names-contract.test.ts';

/** Every signal, update and query definition the shared modules export, by kind. */
function messageNames(): Record<'signals' | 'updates' | 'queries', string[]> {
  const found = { signals: [] as string[], updates: [] as string[], queries: [] as string[] };
  for (const module of [messages, delegation, mcp, feed]) {
    for (const value of Object.values(module) as Array<{ type?: unknown; name?: unknown }>) {
      if (typeof value?.name !== 'string') continue;
      if (value.type === 'signal') found.signals.push(value.name);
      if (value.type === 'update') found.updates.push(value.name);
      if (value.type === 'query') found.queries.push(value.name);
    }
  }
  return { signals: found.signals.sort(), updates: found.updates.sort(), queries: found.queries.sort() };
}

function currentContract() {
  const activities = sagentActivities({ agents: [], anthropic: createAnthropicClient({ apiKey: 'contract', baseURL: 'http://127.0.0.1:9' }) });
  return {
    workflowType: WORKFLOW_TYPE,
    activityTypes: Object.keys(activities).sort(),
    ...messageNames(),
    searchAttributes: SEARCH_ATTRIBUTES,
    memoKeys: [REFUSAL_MEMO_KEY],
    patches: Object.values(PATCHES).sort(),
    runInputJsonSchema: z.toJSONSchema(runInputSchema, { io: 'input', unrepresentable: 'any' }),
    types: typeShapes(path.join(__dirname, '..', '..', 'src', 'shared', 'run.ts'), ['AgentRunInput', 'CarriedState']),
  };
}

test('the names sagent persists, and the shapes of the run input and the carried state, are the committed ones', () => {
  const current = JSON.parse(JSON.stringify(currentContract()));
  if (process.env.SAGENT_UPDATE_CONTRACT === '1') {
    fs.mkdirSync(path.dirname(SNAPSHOT), { recursive: true });
    fs.writeFileSync(SNAPSHOT, JSON.stringify(current, null, 2) + '\n');
  }
  const committed = fs.existsSync(SNAPSHOT) ? JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8')) : null;
  const changed = Object.keys({ ...current, ...committed }).filter((key) => JSON.stringify(current[key]) !== JSON.stringify(committed?.[key]));
  if (changed.length > 0) {
    throw new Error(
      `the names contract changed (${changed.join(', ')}): runs already started, their clients and the replay corpus depend on ` +
        'these names. Add, never rename or remove: a renamed signal, activity or carried field breaks every run that waits. ' +
        `If the change is deliberate and only adds, run \`${UPDATE}\` and commit test/contract/names.json with the change.`,
    );
  }
  expect(current).toEqual(committed);
});

test('the contract holds what clients and histories name today', () => {
  const current = currentContract();
  expect(current.workflowType).toBe('agentSaga');
  expect(current.activityTypes).toEqual(expect.arrayContaining(['callModel', 'runTool', 'checkEffect', 'compensate', 'notifyApproval', 'listMcpTools']));
  expect(current.signals).toEqual(expect.arrayContaining(['approval', 'retryCompensation', 'skipCompensation', 'delegateProgress']));
  expect(current.updates).toEqual(expect.arrayContaining(['decide', 'extendBudget', 'abort']));
  expect(current.queries).toEqual(expect.arrayContaining(['getState', 'modelContext', 'sagent.feed.poll']));
  expect(current.signals).toEqual(expect.arrayContaining(['sagent.feed.publish', 'sagent.feed.follow']));
  expect(current.types.CarriedState).toMatchObject({ turn: 'number', effects: 'EffectRecord[]', inFlight: 'TurnInFlight | null' });
  expect(current.types.AgentRunInput).toMatchObject({ agent: 'string', task: 'string', 'carried?': 'CarriedState | undefined' });
});
