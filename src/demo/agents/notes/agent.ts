/**
 * A third agent whose tools all come from MCP servers nobody here wrote: a note-keeper on the knowledge graph of
 * `@modelcontextprotocol/server-memory` (stdio), with the echo and arithmetic of `@modelcontextprotocol/server-everything`
 * (Streamable HTTP, or stdio when no URL is given). Sandbox-safe: it names the servers, the worker configures them.
 */
import { defineAgent } from '../../../workflow';

const SYSTEM_PROMPT = `You keep notes for the user in a knowledge graph of entities (a name, a type, observations) and relations.

How to work:
1. Read before you write: memory_search_nodes or memory_read_graph show what is there.
2. Record new things with memory_create_entities, facts about existing ones with memory_add_observations, links with memory_create_relations.
3. Deleting anything waits for a human approval; prefer adding observations over deleting.
If the task cannot be done, call abort with the reason: everything you created in this run is removed automatically.

Finish with one short paragraph saying what you recorded.`;

export const notesAgent = defineAgent({
  name: 'notes',
  description: 'Keeps notes in a knowledge graph served over MCP (server-memory), with server-everything alongside',
  system: SYSTEM_PROMPT,
  tools: [],
  mcpServers: ['memory', 'everything'],
  policy: {
    // MCP tools ask by default; the writes this agent was written for run, and are undone on rollback.
    rules: [
      { id: 'note-writes', tools: ['memory_create_entities', 'memory_add_observations'], verdict: 'allow' },
      // MCP reads ask by default too; the reads this agent was written for run without a person.
      { id: 'known-reads', tools: ['memory_read_graph', 'memory_search_nodes', 'everything_echo'], verdict: 'allow' },
    ],
    // The knowledge graph holds what this agent wrote; the everything server's output stays untrusted.
    trustedOutput: ['memory_*'],
  },
});
