/**
 * Secrets marked once: a tool names the fields of its input or output that are secret (`secret: ['card']`), and
 * every view people read without the codec (the `getState` query, the Web UI's current details, the approval notice,
 * the outcome the CLI prints) shows them masked. Pure and sandbox-safe; Claude and the tools still see real values.
 */
import type { EffectRecord, PendingApproval, RunOutcome, RunState } from '../shared/contracts';
import type { AgentDefinition, ToolDefinition } from '../shared/tool-declarations';

/** What a masked value shows when it is neither a card number nor an email. */
export const MASK = '••••';

const SECRET_PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
const CARD_LIKE = /^\d(?:[ -]?\d){11,18}$/;
const EMAIL = /^([^@\s])[^@\s]*@([^@\s]+)$/;

/** Throws at load time when a tool's `secret` entry is not a field name or a dotted path (`payer.card`). */
export function assertSecretPaths(toolName: string, paths: readonly string[] | undefined): void {
  for (const path of paths ?? []) {
    if (!SECRET_PATH.test(path)) {
      throw new Error(`tool "${toolName}" marks "${path}" secret: use a field name or a dotted path such as "payer.card"`);
    }
  }
}

/** One secret value as people may see it: `•••• 4242` for a card number, `a••@example.com` for an email, `••••` else. */
export function maskValue(value: unknown): string {
  if (typeof value === 'string') {
    if (CARD_LIKE.test(value.trim())) return `${MASK} ${value.replace(/\D/g, '').slice(-4)}`;
    const email = EMAIL.exec(value.trim());
    if (email) return `${email[1]}••@${email[2]}`;
  }
  return MASK;
}

/**
 * Free text (a task, a summary) with every card-like number and e-mail address masked, for where no tool declaration
 * says which values are secret: a run's summary and details, which the Web UI shows (and puts in URLs) without the codec.
 */
export function maskFreeText(text: string): string {
  return text
    .replace(/\d(?:[ -]?\d){11,18}/g, (digits) => maskValue(digits))
    .replace(/[^\s@<>()[\]"'`,;:]+@[^\s@<>()[\]"'`,;:]+\.[A-Za-z]{2,}/g, (email) => maskValue(email));
}

/**
 * `value` (a tool's input or output) with every field the tool marks secret masked; arrays on the way are walked
 * element by element. Returns a copy where anything changed and never mutates `value`.
 */
export function maskSecrets(tool: Pick<ToolDefinition, 'secret'> | undefined, value: unknown): unknown {
  let masked = value;
  for (const path of tool?.secret ?? []) masked = maskPath(masked, path.split('.'));
  return masked;
}

function maskPath(value: unknown, path: readonly string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => maskPath(item, path));
  if (value === null || typeof value !== 'object') return value;
  const [field, ...rest] = path;
  if (!Object.prototype.hasOwnProperty.call(value, field)) return value;
  const current = (value as Record<string, unknown>)[field];
  const next = rest.length === 0 ? maskLeaf(current) : maskPath(current, rest);
  return next === current ? value : { ...(value as Record<string, unknown>), [field]: next };
}

function maskLeaf(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  return Array.isArray(value) ? value.map(maskLeaf) : maskValue(value);
}

// ---------------------------------------------------------------------------------------------------------------
// The run's views, one call each from the workflow.

/** The run's effects with each input masked by its tool's declaration. */
export function maskEffects(agent: AgentDefinition, effects: readonly EffectRecord[]): EffectRecord[] {
  return effects.map((effect) => ({ ...effect, input: maskSecrets(agent.toolsByName[effect.tool], effect.input) }));
}

/** One approval request with its input masked, naming the fields it masked. */
export function maskPendingApproval(agent: AgentDefinition, request: PendingApproval): PendingApproval {
  const maskedFields = maskedFieldsOf(agent, request);
  return { ...request, input: maskSecrets(agent.toolsByName[request.tool], request.input), ...(maskedFields.length > 0 ? { maskedFields } : {}) };
}

/** The secret paths of the call's tool that its input holds (`["card"]`): what views show masked. */
export function maskedFieldsOf(agent: AgentDefinition, call: { tool: string; input: unknown }): string[] {
  return (agent.toolsByName[call.tool]?.secret ?? []).filter((path) => hasPath(call.input, path.split('.')));
}

function hasPath(value: unknown, path: readonly string[]): boolean {
  if (path.length === 0) return value !== undefined && value !== null;
  if (Array.isArray(value)) return value.some((item) => hasPath(item, path));
  return value !== null && typeof value === 'object' && Object.hasOwn(value, path[0]) && hasPath((value as Record<string, unknown>)[path[0]], path.slice(1));
}

export function maskPending(agent: AgentDefinition, pending: readonly PendingApproval[]): PendingApproval[] {
  return pending.map((request) => maskPendingApproval(agent, request));
}

/**
 * The `getState` answer with secrets masked: in tool inputs, and wherever a secret value the run has seen in a tool
 * call reappears in free text (the task, the status detail, the final text, the timeline).
 */
export function maskRunState(agent: AgentDefinition, state: RunState): RunState {
  const hide = textMasker(secretValues(agent, [...state.effects, ...state.pendingApprovals]));
  return {
    ...state,
    task: hide(state.task),
    statusDetail: hideOptional(hide, state.statusDetail),
    finalText: hideOptional(hide, state.finalText),
    pendingApprovals: maskPending(agent, state.pendingApprovals),
    effects: maskEffects(agent, state.effects),
    timeline: state.timeline.map((entry) => ({ ...entry, title: hide(entry.title), ...(entry.detail ? { detail: hide(entry.detail) } : {}) })),
  };
}

/** The workflow's result with secrets masked, like {@link maskRunState}. */
export function maskOutcome(agent: AgentDefinition, outcome: RunOutcome): RunOutcome {
  const hide = textMasker(secretValues(agent, outcome.effects));
  return {
    ...outcome,
    reason: hideOptional(hide, outcome.reason),
    finalText: hideOptional(hide, outcome.finalText),
    effects: maskEffects(agent, outcome.effects),
  };
}

/** Masks, in free text, every secret value these tool calls carry (the live feed's text and steps). */
export function secretTextMasker(agent: AgentDefinition, calls: ReadonlyArray<{ tool: string; input: unknown }>): (text: string) => string {
  return textMasker(secretValues(agent, calls));
}

/** The string values of secret fields in these tool calls' inputs. */
function secretValues(agent: AgentDefinition, calls: ReadonlyArray<{ tool: string; input: unknown }>): string[] {
  const values = new Set<string>();
  for (const call of calls) {
    for (const path of agent.toolsByName[call.tool]?.secret ?? []) collect(call.input, path.split('.'), values);
  }
  return [...values];
}

function collect(value: unknown, path: readonly string[], into: Set<string>): void {
  if (Array.isArray(value)) return value.forEach((item) => collect(item, path, into));
  if (path.length === 0) {
    if (typeof value === 'string' && value.trim().length >= 4) into.add(value.trim());
    else if (typeof value === 'number') into.add(String(value));
    return;
  }
  if (value !== null && typeof value === 'object') collect((value as Record<string, unknown>)[path[0]], path.slice(1), into);
}

/** Replaces each secret value in a text; a card number also when written with other spaces or dashes. */
function textMasker(secrets: readonly string[]): (text: string) => string {
  if (secrets.length === 0) return (text) => text;
  const patterns = [...secrets]
    .sort((a, b) => b.length - a.length)
    .map((secret) => {
      const digits = secret.replace(/[ -]/g, '');
      const source = CARD_LIKE.test(secret) ? digits.split('').join('[ -]?') : escapeRegExp(secret);
      return { pattern: new RegExp(source, 'g'), masked: maskValue(secret) };
    });
  return (text) => patterns.reduce((current, { pattern, masked }) => current.replace(pattern, masked), text);
}

function hideOptional(hide: (text: string) => string, text: string | null): string | null {
  return text === null ? null : hide(text);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
