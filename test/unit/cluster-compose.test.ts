/**
 * `docker-compose.yml` and `npm run cluster` describe one cluster: the same server, admin-tools and UI versions, the
 * same server settings (shards, database plugin, sagent's dynamic config file), the same schema steps, namespace and
 * search attributes. The check is also shown to catch each kind of drift.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { composeDisagreements } from '../../deploy/cluster/compose';
import { DYNAMIC_CONFIG_FILE, HISTORY_SHARDS, TEMPORAL_VERSION } from '../../deploy/cluster/settings';
import { DEV_SERVER_DYNAMIC_CONFIG, MAX_IN_FLIGHT_UPDATE_BYTES } from '../../src/dev/temporal';

const root = path.join(__dirname, '..', '..');
const composeText = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');

/** docker-compose.yml with one change made to its parsed form. */
function edited(change: (compose: { services: Record<string, Record<string, unknown>> }) => void): string {
  const compose = parse(composeText);
  change(compose);
  return stringify(compose);
}

describe('docker-compose.yml and the cluster script', () => {
  it('agree on versions, settings, schemas, the namespace and the search attributes', () => {
    expect(composeDisagreements(composeText, root)).toEqual([]);
  });

  it('run a server version that builds from its Go module (1.31.x does not), with 4 history shards', () => {
    expect(TEMPORAL_VERSION).toMatch(/^1\.32\./);
    expect(HISTORY_SHARDS).toBe(4);
    expect(parse(composeText).services.temporal.environment.NUM_HISTORY_SHARDS).toBe(String(HISTORY_SHARDS));
  });

  it('point the server at the same dynamic config file, which sets what the latency section recommends', () => {
    const config = parse(fs.readFileSync(DYNAMIC_CONFIG_FILE, 'utf8'));
    expect(config['history.transferProcessorMaxPollRPS']).toEqual([{ value: 200 }]);
    expect(config['system.enableActivityEagerExecution']).toEqual([{ value: true }]);
  });

  it('hold the same bound on the update bytes a run may have in flight as the dev server (a flood of large updates)', () => {
    const config = parse(fs.readFileSync(DYNAMIC_CONFIG_FILE, 'utf8'));
    expect(config['history.maxInFlightUpdatePayloads']).toEqual([{ value: MAX_IN_FLIGHT_UPDATE_BYTES }]);
    expect(DEV_SERVER_DYNAMIC_CONFIG['history.maxInFlightUpdatePayloads']).toBe(MAX_IN_FLIGHT_UPDATE_BYTES);
  });

  it('catch a server version bumped on one side only', () => {
    const drifted = edited((compose) => (compose.services.temporal.image = 'temporalio/server:1.33.0'));
    expect(composeDisagreements(drifted, root)).toEqual([`temporal runs temporalio/server:1.33.0, the cluster script temporalio/server:${TEMPORAL_VERSION}`]);
  });

  it('catch a server setting that differs or exists on one side only', () => {
    const shards = edited((compose) => ((compose.services.temporal.environment as Record<string, string>).NUM_HISTORY_SHARDS = '8'));
    expect(composeDisagreements(shards, root)).toEqual(['temporal: NUM_HISTORY_SHARDS is 8 in docker-compose.yml, 4 in the cluster script']);
    const extra = edited((compose) => ((compose.services.temporal.environment as Record<string, string>).SQL_MAX_CONNS = '50'));
    expect(composeDisagreements(extra, root)).toEqual(['temporal: docker-compose.yml sets SQL_MAX_CONNS, which the cluster script does not']);
  });

  it('catch a dynamic config mounted from another folder', () => {
    const moved = edited((compose) => (compose.services.temporal.volumes = ['./config:/etc/temporal/config/dynamicconfig:ro']));
    expect(composeDisagreements(moved, root)).toEqual([
      `temporal: DYNAMIC_CONFIG_FILE_PATH is ${path.join(root, 'config', 'sagent.yaml')} in docker-compose.yml, ${DYNAMIC_CONFIG_FILE} in the cluster script`,
    ]);
  });

  it('catch a search attribute missing from the admin step, and a missing service', () => {
    const fewer = composeText.replace(' AgentPendingApprovals=Int', '');
    expect(composeDisagreements(fewer, root)).toEqual([
      expect.stringMatching(
        /^temporal-admin registers \[AgentCostUsd=Double AgentName=Keyword AgentPrincipal=Keyword AgentStatus=Keyword AgentSteps=Int AgentTenant=Keyword\], sagent needs \[.*AgentPendingApprovals=Int.*\]$/,
      ),
    ]);
    const noUi = edited((compose) => delete compose.services['temporal-ui']);
    expect(composeDisagreements(noUi, root)).toEqual([
      'docker-compose.yml has no `temporal-ui` service',
      'temporal-ui runs no image, the cluster script temporalio/ui:2.49.1',
    ]);
  });
});
