/**
 * Size limits on everything an operator or a stranger sends a run (decisions, top-ups, aborts, compensation
 * actions), checked before anything is recorded or echoed, and the refusal codes a refused message carries.
 * Pure and sandbox-safe: a stranger's message must never grow the state, the queries or the carried input.
 */

/** The longest field each message may carry, in characters (JSON strings: UTF-16 units, a cheap upper bound). */
export const INPUT_LIMITS = {
  /** Call ids (`call-12`) and effect references (`2`, `effect-2`, `<workflowId>/effect-2`). */
  id: 300,
  /** Approver and operator names. */
  name: 64,
  /** An argsHash: 64 hex characters. */
  hash: 64,
  /** Reasons for a decision, an abort, a skip or a retry. */
  reason: 1_000,
  /** An Ed25519 signature in hex. */
  signature: 128,
  /** A signed decision's expiry, an ISO timestamp. */
  timestamp: 40,
  /** An approver's edited input as JSON, before the tool's own `maxInputBytes` applies. */
  edit: 64 * 1024,
} as const;

/** The refusals a decision or an operator message can meet; the `type` of the failure a refused update gets. */
export const REFUSAL = {
  Malformed: 'ApprovalRefused.Malformed',
  TooLarge: 'ApprovalRefused.TooLarge',
  NotPending: 'ApprovalRefused.NotPending',
  HashMismatch: 'ApprovalRefused.HashMismatch',
  Expired: 'ApprovalRefused.Expired',
  NotAllowed: 'ApprovalRefused.NotAllowed',
  NoReason: 'ApprovalRefused.NoReason',
  InvalidEdit: 'ApprovalRefused.InvalidEdit',
  Unsigned: 'ApprovalRefused.Unsigned',
  BadSignature: 'ApprovalRefused.BadSignature',
  OperatorRefused: 'OperatorActionRefused',
} as const;
export type RefusalCode = (typeof REFUSAL)[keyof typeof REFUSAL];

export type Refusal = { ok: false; code: RefusalCode; why: string };
export type FieldCheck = { ok: true } | Refusal;

/** A value made safe to echo in a refusal: text clipped to `max` characters, anything else named by its type. */
export function clip(value: unknown, max = 40): string {
  if (typeof value !== 'string') return value === undefined || value === null ? String(value) : `(a ${Array.isArray(value) ? 'list' : typeof value})`;
  return value.length > max ? `${value.slice(0, max)}… (${value.length} characters)` : value;
}

/** The fields of `message` that must be text no longer than their limit; `optional` fields may be absent. */
export function checkTextFields(message: unknown, fields: Readonly<Record<string, { max: number; optional?: boolean }>>, what = 'the message'): FieldCheck {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return { ok: false, code: REFUSAL.Malformed, why: `${what} is not an object` };
  const record = message as Record<string, unknown>;
  for (const [field, { max, optional }] of Object.entries(fields)) {
    const value = record[field];
    if (value === undefined || value === null) {
      if (optional) continue;
      return { ok: false, code: REFUSAL.Malformed, why: `\`${field}\` is missing` };
    }
    if (typeof value !== 'string') return { ok: false, code: REFUSAL.Malformed, why: `\`${field}\` must be text, not ${clip(value)}` };
    if (value.length > max) return { ok: false, code: REFUSAL.TooLarge, why: `\`${field}\` is ${value.length} characters; at most ${max} are accepted` };
    if (isPlaceholder(value)) {
      return {
        ok: false,
        code: REFUSAL.Malformed,
        why: `\`${field}\` is still the placeholder ${JSON.stringify(clip(value))} of a pasted payload: write your own in its place`,
      };
    }
  }
  return { ok: true };
}

/** Rejects a structured field (an edit) whose JSON is longer than `max`, without keeping the text. */
export function checkJsonSize(field: string, value: unknown, max: number): FieldCheck {
  let size: number;
  try {
    size = JSON.stringify(value ?? null).length;
  } catch {
    return { ok: false, code: REFUSAL.Malformed, why: `\`${field}\` is not JSON` };
  }
  return size > max ? { ok: false, code: REFUSAL.TooLarge, why: `\`${field}\` is ${size} characters of JSON; at most ${max} are accepted` } : { ok: true };
}

/**
 * The full effect id an operator means: `2`, `effect-2` and `<workflowId>/effect-2` all name effect 2 of the
 * run, the forms the CLI and the ledger show. Anything else is returned as given, for the ledger to refuse.
 */
export function resolveEffectRef(workflowId: string, ref: string): string {
  const trimmed = ref.trim();
  if (/^\d+$/.test(trimmed)) return `${workflowId}/effect-${Number(trimmed)}`;
  if (/^effect-\d+$/.test(trimmed)) return `${workflowId}/${trimmed}`;
  return trimmed;
}

/** A template's placeholder (`"<why, for the record>"`, `"<your name>"`), which a pasted payload must not keep. */
export function isPlaceholder(text: string): boolean {
  return /^\s*<[^<>]*>\s*$/.test(text);
}
