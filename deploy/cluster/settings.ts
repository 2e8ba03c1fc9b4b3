/**
 * The cluster's settings, in one place: the Temporal version both `npm run cluster` and `docker-compose.yml` run, the
 * history shards, the database plugin, sagent's dynamic config and the namespace. The server reads its settings from
 * the environment through the config template compiled into it (the same template its Docker image uses), so the
 * variables below are exactly the ones `docker-compose.yml` sets on its `temporal` service; a unit test holds the two
 * in step.
 */
import path from 'node:path';

/** The Temporal server (Go module `go.temporal.io/server`, image `temporalio/server`) and admin-tools version. */
export const TEMPORAL_VERSION = '1.32.2';

/** The Web UI (image `temporalio/ui`, Go module `github.com/temporalio/ui-server/v2`) version. */
export const TEMPORAL_UI_VERSION = '2.49.1';

/** History shards: fixed for the life of a cluster's database; more than one so runs spread as in production. */
export const HISTORY_SHARDS = 4;

/** The server's SQL plugin for PostgreSQL. */
export const DB_PLUGIN = 'postgres12';

/** The databases the schema tool creates, and their schema folders inside the server module. */
export const DATABASES = [
  { name: 'temporal', schema: 'temporal' },
  { name: 'temporal_visibility', schema: 'visibility' },
] as const;

/** The database role and password (the throwaway PostgreSQL trusts loopback; the compose file sets both). */
export const DB_USER = 'temporal';
export const DB_PASSWORD = 'temporal';

/** The namespace sagent's runs go to, and how long closed runs stay readable. */
export const NAMESPACE = 'default';
export const RETENTION_DAYS = 7;

/** sagent's dynamic config: the file the compose file mounts and the cluster script points the server at. */
export const DYNAMIC_CONFIG_FILE = path.join(__dirname, '..', 'dynamicconfig', 'sagent.yaml');

/** The Go toolchain that builds the server module (its go.mod needs a newer Go than many machines have). */
export const GO_TOOLCHAIN = 'go1.27.3';

/** Every port one cluster listens on, all on loopback. */
export const PORT_NAMES = [
  'frontend',
  'frontendHttp',
  'frontendMembership',
  'history',
  'historyMembership',
  'matching',
  'matchingMembership',
  'worker',
  'workerMembership',
  'postgres',
  'ui',
] as const;
export type ClusterPorts = Record<(typeof PORT_NAMES)[number], number>;

/** The server's environment: the compose file's `temporal` service sets the same names (ports aside). */
export function serverEnvironment(ports: ClusterPorts): Record<string, string> {
  return {
    DB: DB_PLUGIN,
    DB_PORT: String(ports.postgres),
    POSTGRES_USER: DB_USER,
    POSTGRES_PWD: DB_PASSWORD,
    POSTGRES_SEEDS: '127.0.0.1',
    BIND_ON_IP: '127.0.0.1',
    NUM_HISTORY_SHARDS: String(HISTORY_SHARDS),
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    LOG_LEVEL: 'warn',
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    HISTORY_GRPC_PORT: String(ports.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    MATCHING_GRPC_PORT: String(ports.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    WORKER_GRPC_PORT: String(ports.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
  };
}

/** The names above that say where things listen and how loud the log is: machine-local, so the compose file may differ. */
export const LOCAL_VARIABLES = [
  'DB_PORT',
  'POSTGRES_SEEDS',
  'BIND_ON_IP',
  'LOG_LEVEL',
  'FRONTEND_GRPC_PORT',
  'FRONTEND_HTTP_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;
