/** Worker Versioning settings: the deployment a worker polls as, and what an agent may declare. */
import { deploymentFromEnv, deploymentOptions } from '../../src/worker';
import { defineAgent, type AgentVersioning } from '../../src/workflow';
import { describeTaskFailure } from '../../src/operations/versions';
import { NON_DETERMINISM_FIX } from '../../src/shared/constants';

test('SAGENT_BUILD_ID makes a versioned worker of deployment SAGENT_DEPLOYMENT, default "sagent"; none is unversioned', () => {
  expect(deploymentFromEnv({ SAGENT_BUILD_ID: 'abc123' })).toEqual({ name: 'sagent', buildId: 'abc123' });
  expect(deploymentFromEnv({ SAGENT_BUILD_ID: ' v2 ', SAGENT_DEPLOYMENT: 'shop' })).toEqual({ name: 'shop', buildId: 'v2' });
  expect(deploymentFromEnv({})).toBeUndefined();
  expect(deploymentFromEnv({ SAGENT_BUILD_ID: '  ' })).toBeUndefined();
});

test('a deployment name without a build id is refused with what to set', () => {
  expect(() => deploymentFromEnv({ SAGENT_DEPLOYMENT: 'shop' })).toThrow(/SAGENT_BUILD_ID is not/);
});

test('a versioned worker pins agent runs by default and polls as <name>:<build id>', () => {
  expect(deploymentOptions({ buildId: '1.4.2' })).toEqual({
    workerDeploymentOptions: { version: { deploymentName: 'sagent', buildId: '1.4.2' }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' },
  });
});

test.each([
  [{ name: 'shop.eu', buildId: 'v1' }, /deployment name "shop.eu" is not valid/],
  [{ name: 'shop', buildId: 'v1:x' }, /build id "v1:x" is not valid/],
  [{ name: 'shop', buildId: '' }, /build id "" is not valid/],
])('a deployment %j is refused before the worker starts', (deployment, message) => {
  expect(() => deploymentOptions(deployment)).toThrow(message);
});

test('an agent declares pinned, upgrade-on-continue-as-new or auto-upgrade; anything else is refused by name', () => {
  for (const versioning of ['pinned', 'upgrade-on-continue-as-new', 'auto-upgrade'] as const) {
    expect(defineAgent({ name: 'a', description: 'd', system: 's', tools: [], versioning }).versioning).toBe(versioning);
  }
  expect(() => defineAgent({ name: 'a', description: 'd', system: 's', tools: [], versioning: 'latest' as AgentVersioning })).toThrow(
    /agent "a": versioning must be one of 'pinned', 'upgrade-on-continue-as-new', 'auto-upgrade', not "latest"/,
  );
});

test('a stuck run is described with its failure and the fix: the old build again, or versioning', () => {
  const text = describeTaskFailure({ attempt: 4, message: '[TMPRL1100] Nondeterminism error: x', nonDeterminism: true, fix: NON_DETERMINISM_FIX });
  expect(text).toMatch(/^the worker cannot replay this run \(non-determinism\): its workflow task failed 3 time\(s\): \[TMPRL1100\]/);
  expect(text).toMatch(/deploy the build that started it again.*SAGENT_BUILD_ID/);
});
