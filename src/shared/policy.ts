/**
 * Who may do what, as agents and runs declare it: ordered rules over tool names and arguments, the run's identity,
 * and the audit trail of every decision. Types only, so every layer may name them; the rules are applied by
 * `policies/tool-policy`.
 */

/** What a rule decides for a call it matches: run it, ask a person, or refuse it (Claude is told why). */
export type PolicyVerdictKind = 'allow' | 'ask' | 'deny';

/** The operators an argument matcher compares with. `matches` takes a regular expression (a string). */
export const MATCHER_OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'in', 'notIn', 'matches', 'exists'] as const;
/** One of {@link MATCHER_OPS}. */
export type MatcherOp = (typeof MATCHER_OPS)[number];

/**
 * A declarative test of one argument, serialisable so a run's input can carry it: `{ path: 'amountCents', op: 'gt',
 * value: 50000 }`. `path` is dotted (`payer.country`); a missing value fails every operator but `ne`, `notIn`
 * and `exists` with `value: false`.
 */
export interface ArgumentMatcher {
  path: string;
  op: MatcherOp;
  value?: unknown;
}

/** One rule of a run's input: serialisable, and it may only tighten (`ask` or `deny`). */
export interface RunPolicyRule {
  /** Named in the audit trail and in what Claude is shown. */
  id: string;
  /** Tool names or globs (`*` any run of characters, `?` one): `charge_*`, `mcp_*`, `*`. */
  tools: string | readonly string[];
  /** Every matcher must hold for the rule to apply. @default none (every call of the tools) */
  when?: readonly ArgumentMatcher[];
  verdict: 'ask' | 'deny';
  /** With `ask`: who may approve (a subset of the run's approvers). @default the run's approvers */
  approvers?: readonly string[];
  /** With `deny`: the reason Claude is shown; with `ask`: the reason the approver reads. */
  reason?: string;
}

/** One rule of an agent's policy: as a run's, and it may also `allow`, or test the input with code. */
export interface PolicyRule extends Omit<RunPolicyRule, 'verdict'> {
  verdict: PolicyVerdictKind;
  /** A test in code, next to `when`: the rule applies only when it returns true. Workflow code: keep it pure. */
  where?: (input: any) => boolean;
}

/** An agent's policy (`AgentSpec.policy`). Rules apply in order; the first that matches decides for this source. */
export interface AgentPolicy {
  /** The agent's rules, in order. @default none: each tool's declared risk decides */
  rules?: readonly PolicyRule[];
  /**
   * The MCP tools the agent was written against (names or globs). A tool a server offers that is not in this list
   * always asks, whatever a rule says. @default every MCP tool is known
   */
  knownMcpTools?: readonly string[];
  /**
   * Tools whose output is untrusted data, beyond those that declare `untrusted` (MCP tools are untrusted unless
   * `trustedOutput` names them). @default none
   */
  trustedOutput?: readonly string[];
  /**
   * State-changing tools that still run without a person after the run read untrusted content (each such call is
   * recorded in the audit trail as a relaxation). @default none: every state-changing call then asks
   */
  taintExempt?: readonly string[];
}

/** A run's own policy (`AgentRunInput.policy`): narrower rules, merged most-restrictive-wins with the agent's. */
export interface RunPolicyInput {
  /** The run's rules (`ask` or `deny` only). @default none: the agent's policy alone */
  rules?: RunPolicyRule[];
}

/** Who started a run and for whom (`AgentRunInput.identity`). */
export interface RunIdentity {
  /** The person or service that started the run, e.g. `alice` or `svc:billing`. */
  principal: string;
  /** The customer or organisation the run acts for. */
  tenant?: string;
}

/** Untrusted content a run read: what made it tainted. */
export interface TaintSource {
  tool: string;
  /** The model turn whose call read it. */
  turn: number;
  /** The call's key: the effect id of a state-changing call, the read key of a read. */
  effectId: string;
}

/** One decision of the run's audit trail, in order. */
export interface AuditEntry {
  at: string;
  kind: 'identity' | 'policy' | 'auto' | 'approval' | 'refusal' | 'budget' | 'taint' | 'relaxation';
  /** What was decided: `allow`, `ask`, `deny`, `approve`, `reject`, `expired`, `refused`, `exhausted`, `read`, ... */
  decision: string;
  tool?: string;
  turn?: number;
  callId?: string;
  effectId?: string;
  /** The rule that decided (`agent:<id>`, `run:<id>`, `declaration`, `mcp-default`, `taint`, ...). */
  rule?: string;
  reason?: string;
  /** For an approval: who decided, and the fingerprint of their signature (sha-256, first 16 hex) when signed. */
  approver?: string | null;
  signatureFingerprint?: string;
}

/** The worker's map of who may use which tools (`SagentWorkerOptions.access`). */
export interface AccessRequest {
  agent: string;
  principal: string | null;
  tenant: string | null;
  tools: string[];
}

/** What the worker answers: the tools the principal may use; null when the worker maps nobody (every tool). */
export interface AccessGrant {
  allowed: string[] | null;
  roles: string[];
  /** The worker has an `auto` verdict source: each call the rules do not deny is also put to it. Absent: none. */
  auto?: true;
}

/** One call as the worker's `auto` verdict source sees it, after the rules decided it (never `deny`). */
export interface AutoVerdictRequest {
  agent: string;
  tool: string;
  input: unknown;
  /** The tool's declared risk: `read`, `reversible`, `irreversible` or `privileged`. */
  risk: string;
  /** What the rules decided (`allow` or `ask`), and the rule that did. */
  ruleVerdict: 'allow' | 'ask';
  rule: string;
  principal: string | null;
  tenant: string | null;
  /** The untrusted content the run has read, newest last (empty when none). */
  taint: readonly TaintSource[];
  turn: number;
}

/** What an `auto` verdict source answers for one call; `approvers` narrows who may decide an `ask`. */
export interface AutoVerdict {
  verdict: PolicyVerdictKind;
  /** Recorded in the audit trail; with `deny`, the reason Claude is shown; with `ask`, the reason the approver reads. */
  reason: string;
  approvers?: readonly string[];
}
