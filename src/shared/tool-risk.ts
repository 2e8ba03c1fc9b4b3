/**
 * How much a tool can change the world (a leaf, so MCP records and tool declarations both name it).
 * - `read`: changes nothing; runs in parallel with other reads.
 * - `reversible`: changes the world and declares a compensation that undoes it.
 * - `privileged`: needs a human approval; may declare a compensation (a charge is undone by a refund).
 * - `irreversible`: needs a human approval and cannot be undone (an email once sent).
 */
export type ToolRisk = 'read' | 'reversible' | 'privileged' | 'irreversible';
