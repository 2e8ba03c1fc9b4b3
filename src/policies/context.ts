/**
 * The context policy: what one model call carries. The task and the last turns go verbatim; older turns
 * are compacted into one-line stubs, in batches, so the prefix Claude sees stays stable (and cacheable)
 * between compactions. Pure and deterministic: the workflow rebuilds the same context after a replay
 * or a continue-as-new.
 */
import type { ContextSettings } from '../shared/run';
import type { ContentBlock, ContentBlockParam, MessageParam, ToolResultBlockParam } from '../shared/wire';
import { byteLength } from './canonical';

export const DEFAULT_CONTEXT: ContextSettings = { keepTurns: 4, maxToolResultBytes: 8192, stubBytes: 160 };

/** Summary lines kept at most; older ones are counted, not kept. */
export const MAX_SUMMARY_LINES = 60;

export interface ConversationTurn {
  turn: number;
  assistant: ContentBlock[];
  /** The user's reply to this turn: tool results, then an optional note (for example "continue"). */
  results: ToolResultBlockParam[];
  note?: string;
}

export interface Conversation {
  task: string;
  summary: string[];
  omittedSummaryLines: number;
  turns: ConversationTurn[];
}

export function newConversation(task: string): Conversation {
  return { task, summary: [], omittedSummaryLines: 0, turns: [] };
}

export function resolveContextSettings(partial: Partial<ContextSettings> | undefined): ContextSettings {
  const merged = { ...DEFAULT_CONTEXT, ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) };
  return { ...merged, keepTurns: Math.max(1, Math.floor(merged.keepTurns)) };
}

/** The messages one model call carries. */
export function buildContext(conversation: Conversation): MessageParam[] {
  const opening: ContentBlockParam[] = [{ type: 'text', text: conversation.task }];
  if (conversation.summary.length > 0) opening.push({ type: 'text', text: renderSummary(conversation) });
  const messages: MessageParam[] = [{ role: 'user', content: opening }];
  for (const turn of conversation.turns) {
    messages.push({ role: 'assistant', content: turn.assistant });
    const reply: ContentBlockParam[] = [...turn.results];
    if (turn.note) reply.push({ type: 'text', text: turn.note });
    if (reply.length > 0) messages.push({ role: 'user', content: reply });
  }
  return messages;
}

/** Appends a finished turn and compacts the oldest turns when the verbatim window is full. */
export function appendTurn(conversation: Conversation, turn: ConversationTurn, settings: ContextSettings): Conversation {
  const turns = [...conversation.turns, turn];
  if (turns.length < settings.keepTurns * 2) return { ...conversation, turns };
  const compacted = turns.slice(0, turns.length - settings.keepTurns);
  let summary = [...conversation.summary, ...compacted.flatMap((old) => stubsOf(old, settings.stubBytes))];
  let omitted = conversation.omittedSummaryLines;
  if (summary.length > MAX_SUMMARY_LINES) {
    omitted += summary.length - MAX_SUMMARY_LINES;
    summary = summary.slice(summary.length - MAX_SUMMARY_LINES);
  }
  return { ...conversation, summary, omittedSummaryLines: omitted, turns: turns.slice(turns.length - settings.keepTurns) };
}

/** Cuts a tool result to a byte cap on a whole-character boundary, saying how much was cut. */
export function capText(text: string, maxBytes: number): string {
  const size = byteLength(text);
  if (size <= maxBytes) return text;
  let kept = 0;
  let end = 0;
  for (const char of text) {
    const bytes = utf8Bytes(char.codePointAt(0)!);
    if (kept + bytes > maxBytes) break;
    kept += bytes;
    end += char.length;
  }
  return `${text.slice(0, end)}…[cut: ${size - kept} of ${size} bytes not shown]`;
}

function utf8Bytes(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  return codePoint < 0x10000 ? 3 : 4;
}

function renderSummary(conversation: Conversation): string {
  const header = conversation.omittedSummaryLines > 0
    ? `Earlier steps, compacted (${conversation.omittedSummaryLines} older lines omitted):`
    : 'Earlier steps, compacted:';
  return [header, ...conversation.summary].join('\n');
}

function stubsOf(turn: ConversationTurn, stubBytes: number): string[] {
  const lines: string[] = [];
  const said = turn.assistant.filter((block) => block.type === 'text').map((block) => block.text).join(' ').trim();
  if (said) lines.push(`turn ${turn.turn} · said: ${capText(said, stubBytes)}`);
  for (const block of turn.assistant) {
    if (block.type !== 'tool_use') continue;
    const result = turn.results.find((candidate) => candidate.tool_use_id === block.id);
    const outcome = result ? `${result.is_error ? 'error' : 'ok'}: ${capText(result.content, stubBytes)}` : 'no result';
    lines.push(`turn ${turn.turn} · ${block.name}(${capText(JSON.stringify(block.input), stubBytes)}) → ${outcome}`);
  }
  return lines;
}
