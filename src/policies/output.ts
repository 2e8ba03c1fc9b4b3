/**
 * Typed results: an agent that declares an output schema ends only on a final answer that validates. The answer is
 * read as JSON (a fenced block or the outermost object or array in the text) and checked with zod; when it fails,
 * Claude is shown the validation errors and asked again, a bounded number of times.
 * Pure and sandbox-safe: the workflow calls it on Claude's final text.
 */
import { z } from 'zod';
import { capText } from './context';

/** Asks before a final answer that never validates ends the run. */
export const DEFAULT_OUTPUT_ATTEMPTS = 3;

/** Bytes of validation errors shown to Claude and recorded. */
const MAX_ERROR_BYTES = 2048;

export type OutputCheck = { kind: 'valid'; value: unknown } | { kind: 'invalid'; errors: string };

/** Reads Claude's final text as the agent's typed output. */
export function checkFinalOutput(text: string, schema: z.ZodType): OutputCheck {
  const json = jsonOf(text);
  if (!json.ok) return { kind: 'invalid', errors: json.error };
  const parsed = schema.safeParse(json.value);
  if (parsed.success) return { kind: 'valid', value: parsed.data };
  const lines = parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(the value)'}: ${issue.message}`);
  return { kind: 'invalid', errors: capText(lines.join('\n'), MAX_ERROR_BYTES) };
}

/** What Claude reads when its final answer did not validate. */
export function reaskNote(errors: string): string {
  return (
    'Your final answer does not match the required output schema:\n' +
    `${errors}\n` +
    'Answer again with only the corrected JSON value, matching the schema in your instructions.'
  );
}

/** What the system prompt adds for an agent with an output schema. */
export function outputInstruction(schema: z.ZodType): string {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return (
    'When you give your final answer (a turn with no tool calls), answer with only a JSON value, without prose ' +
    `around it, that matches this JSON Schema:\n${JSON.stringify(jsonSchema)}`
  );
}

function jsonOf(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const trimmed = text.trim();
  const fenced = /```(?:json)?\s*\n([\s\S]*?)\n?```/.exec(trimmed)?.[1];
  const candidates = [fenced, trimmed, outermost(trimmed, '{', '}'), outermost(trimmed, '[', ']')].filter((c): c is string => c !== undefined);
  for (const candidate of candidates) {
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch {
      // the next reading of the text
    }
  }
  return { ok: false, error: trimmed === '' ? 'the answer is empty: a JSON value is required' : 'the answer is not JSON: give only a JSON value' };
}

function outermost(text: string, open: string, close: string): string | undefined {
  const start = text.indexOf(open);
  const end = text.lastIndexOf(close);
  return start >= 0 && end > start ? text.slice(start, end + 1) : undefined;
}
