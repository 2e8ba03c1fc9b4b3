/**
 * Where `docker-compose.yml` and `npm run cluster` disagree: versions, the server's settings, the schema steps, the
 * namespace and its search attributes. An empty list means they run the same cluster.
 */
import path from 'node:path';
import { parse } from 'yaml';
import { SEARCH_ATTRIBUTES } from '../../src/shared/constants';
// The settings themselves, as `npm run cluster` applies them: compared here, never restated.
import * as cluster from './settings';

interface ComposeService {
  image?: string;
  environment?: Record<string, string | number>;
  volumes?: string[];
  command?: string[] | string;
}

/** `composeText` is docker-compose.yml; `composeDir` the folder its relative paths start from. */
export function composeDisagreements(composeText: string, composeDir: string): string[] {
  const services = (parse(composeText) as { services?: Record<string, ComposeService> }).services ?? {};
  const found: string[] = [];
  const service = (name: string): ComposeService => {
    const value = services[name];
    if (!value) found.push(`docker-compose.yml has no \`${name}\` service`);
    return value ?? {};
  };
  const script = (name: string) => [service(name).command ?? []].flat().join('\n');
  const tag = (name: string, image: string, version: string) => {
    const actual = service(name).image;
    if (actual !== `${image}:${version}`) found.push(`${name} runs ${actual ?? 'no image'}, the cluster script ${image}:${version}`);
  };
  tag('temporal', 'temporalio/server', cluster.TEMPORAL_VERSION);
  tag('temporal-schema', 'temporalio/admin-tools', cluster.TEMPORAL_VERSION);
  tag('temporal-admin', 'temporalio/admin-tools', cluster.TEMPORAL_VERSION);
  tag('temporal-ui', 'temporalio/ui', cluster.TEMPORAL_UI_VERSION);

  // The server: every setting the cluster script gives it, the compose file gives it too, and nothing more.
  const composeEnv = Object.fromEntries(Object.entries(service('temporal').environment ?? {}).map(([key, value]) => [key, String(value)]));
  const clusterEnv = cluster.serverEnvironment(Object.fromEntries(cluster.PORT_NAMES.map((name) => [name, 0])) as cluster.ClusterPorts);
  const local = new Set<string>(cluster.LOCAL_VARIABLES);
  for (const [key, value] of Object.entries(clusterEnv)) {
    if (local.has(key)) continue;
    const theirs = key === 'DYNAMIC_CONFIG_FILE_PATH' ? hostPath(composeEnv[key], service('temporal').volumes ?? [], composeDir) : composeEnv[key];
    if (theirs !== value) found.push(`temporal: ${key} is ${theirs ?? 'unset'} in docker-compose.yml, ${value} in the cluster script`);
  }
  for (const key of Object.keys(composeEnv)) {
    if (!(key in clusterEnv)) found.push(`temporal: docker-compose.yml sets ${key}, which the cluster script does not`);
  }

  const schema = script('temporal-schema');
  if (!schema.includes(`--plugin ${cluster.DB_PLUGIN}`)) found.push(`temporal-schema does not use the ${cluster.DB_PLUGIN} plugin`);
  for (const { name, schema: folder } of cluster.DATABASES) {
    if (!schema.includes(`--db ${name} update-schema -d /etc/temporal/schema/postgresql/v12/${folder}/versioned`)) {
      found.push(`temporal-schema does not apply schema/postgresql/v12/${folder}/versioned to ${name}`);
    }
  }

  const admin = service('temporal-admin');
  if (admin.environment?.TEMPORAL_NAMESPACE !== cluster.NAMESPACE)
    found.push(`temporal-admin prepares namespace ${admin.environment?.TEMPORAL_NAMESPACE}, the cluster script ${cluster.NAMESPACE}`);
  if (!script('temporal-admin').includes(`--retention ${cluster.RETENTION_DAYS}d`))
    found.push(`temporal-admin does not create the namespace with ${cluster.RETENTION_DAYS} days of retention`);
  const listed = /for attribute in ([^;]+);/.exec(script('temporal-admin'))?.[1].trim().split(/\s+/).sort() ?? [];
  const wanted = Object.entries(SEARCH_ATTRIBUTES)
    .map(([name, type]) => `${name}=${type}`)
    .sort();
  if (listed.join(' ') !== wanted.join(' ')) found.push(`temporal-admin registers [${listed.join(' ')}], sagent needs [${wanted.join(' ')}]`);
  return found;
}

/** The host file behind a container path, through the service's bind mounts. */
function hostPath(containerPath: string | undefined, volumes: string[], composeDir: string): string | undefined {
  if (containerPath === undefined) return undefined;
  for (const volume of volumes) {
    const [source, target] = volume.split(':');
    if (source.startsWith('.') && (containerPath === target || containerPath.startsWith(`${target}/`))) {
      return path.resolve(composeDir, source, path.relative(target, containerPath));
    }
  }
  return containerPath;
}
