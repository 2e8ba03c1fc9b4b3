/**
 * The notes agent's MCP servers on the worker: the memory server's writes mapped to their undo, so they join the saga;
 * its deletions left irreversible (they wait for a person); the everything server as the annotations say.
 */
import path from 'node:path';
import type { McpServerConfig } from '../../../index';

/** How to start a stdio server: a command, its arguments and environment. */
export interface McpLaunch {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface NotesServersOptions {
  /** The knowledge graph's file. @default .sagent/demo-memory.jsonl */
  memoryFile?: string;
  /** How to start the memory server. @default node on the package's own entry */
  memory?: McpLaunch;
  /** The everything server's Streamable HTTP endpoint (e.g. `http://127.0.0.1:3001/mcp`). @default started over stdio */
  everythingUrl?: string;
}

/** The memory server from npm, started with this Node. */
export function memoryServerLaunch(memoryFile: string): McpLaunch {
  return { command: process.execPath, args: [require.resolve('@modelcontextprotocol/server-memory/dist/index.js')], env: { MEMORY_FILE_PATH: memoryFile } };
}

/** The everything server's entry, for `node <entry> streamableHttp` or `stdio`. */
export const EVERYTHING_ENTRY = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');

interface Entity {
  name: string;
}
interface Observation {
  entityName: string;
  contents: string[];
}

export function notesServers(options: NotesServersOptions = {}): McpServerConfig[] {
  const memoryFile = options.memoryFile ?? path.resolve('.sagent', 'demo-memory.jsonl');
  const memory = options.memory ?? memoryServerLaunch(memoryFile);
  return [
    {
      name: 'memory',
      ...memory,
      compensations: {
        create_entities: {
          tool: 'delete_entities',
          input: ({ input }: { input: { entities: Entity[] } }) => ({ entityNames: input.entities.map((e) => e.name) }),
        },
        add_observations: {
          tool: 'delete_observations',
          input: ({ input }: { input: { observations: Observation[] } }) => ({
            deletions: input.observations.map((o) => ({ entityName: o.entityName, observations: o.contents })),
          }),
        },
        create_relations: { tool: 'delete_relations', input: ({ input }: { input: { relations: unknown[] } }) => ({ relations: input.relations }) },
      },
    },
    options.everythingUrl
      ? { name: 'everything', url: options.everythingUrl }
      : { name: 'everything', command: process.execPath, args: [EVERYTHING_ENTRY, 'stdio'] },
  ];
}
