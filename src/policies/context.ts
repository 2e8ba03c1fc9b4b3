/**
 * The context policy: what one model call carries, shaped for the prompt cache. The task and the last
 * turns go verbatim; older turns are compacted into one-line stubs. Between compactions the context only
 * grows at its end, so each call reads the previous call's prompt from the cache and writes only the new
 * turn. A compaction rewrites what follows its first change, and a cache write costs 12.5 times a read
 * (1.25x against 0.1x), so it happens only once the turns it removes are at least 12.5 times the bytes
 * it rewrites (the kept turns and the new summary): then the call that compacts costs no more than
 * sending the whole conversation on would, and every later call costs less. The summary grows in blocks
 * appended after the task and the earlier blocks, which stay a cached prefix; past its cap its oldest
 * lines go in one cut, down to half the cap. A hard cap on the older turns bounds the context when
 * turns are too large for a compaction ever to pay at once.
 * Pure and deterministic: the workflow rebuilds the same context after a replay or a continue-as-new.
 */
import type { ContextSettings } from '../shared/run';
import type { Conversation, ConversationTurn } from '../shared/conversation';
import type { ContentBlockParam, MessageParam } from '../shared/wire';
import { byteLength } from './canonical';

export const DEFAULT_CONTEXT: ContextSettings = {
  keepTurns: 2,
  stubBytes: 160,
  compactAfterBytes: 16_384,
  forceCompactAfterBytes: 131_072,
  maxSummaryBytes: 2048,
};

/** What a cache write costs over what a cache read costs (1.25x against 0.1x of plain input). */
export const CACHE_WRITE_OVER_READ = 12.5;

export type { Conversation, ConversationTurn } from '../shared/conversation';

export function newConversation(task: string): Conversation {
  return { task, summary: [], omittedSummaryLines: 0, turns: [], summaryBlocks: [] };
}

export function resolveContextSettings(partial: Partial<ContextSettings> | undefined): ContextSettings {
  const merged = { ...DEFAULT_CONTEXT, ...Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined)) };
  return { ...merged, keepTurns: Math.max(1, Math.floor(merged.keepTurns)) };
}

/**
 * The messages one model call carries: the opening user message (the task, then one text block per
 * summary block), then the verbatim turns. The opening message's last block ends the part that only
 * a compaction changes, which is where the model adapter puts a cache breakpoint.
 */
export function buildContext(conversation: Conversation): MessageParam[] {
  const opening: ContentBlockParam[] = [{ type: 'text', text: conversation.task }];
  for (const text of renderSummaryBlocks(conversation)) opening.push({ type: 'text', text });
  const messages: MessageParam[] = [{ role: 'user', content: opening }];
  for (const turn of conversation.turns) {
    messages.push({ role: 'assistant', content: turn.assistant });
    const reply: ContentBlockParam[] = [...turn.results];
    if (turn.note) reply.push({ type: 'text', text: turn.note });
    if (reply.length > 0) messages.push({ role: 'user', content: reply });
  }
  return messages;
}

/**
 * Appends a finished turn, then compacts every turn before the last `keepTurns` into one new summary block
 * once they hold `compactAfterBytes` and removing them pays for the rewrite at once (or once they hold
 * `forceCompactAfterBytes`, whatever it costs).
 */
export function appendTurn(conversation: Conversation, turn: ConversationTurn, settings: ContextSettings): Conversation {
  const turns = [...conversation.turns, turn];
  const older = turns.slice(0, Math.max(0, turns.length - settings.keepTurns));
  const removed = turnsBytes(older);
  if (older.length === 0 || removed < settings.compactAfterBytes) return { ...conversation, turns };
  const lines = older.flatMap((old) => stubsOf(old, settings.stubBytes));
  const blocks = [...blocksOf(conversation), ...(lines.length > 0 ? [lines.length] : [])];
  const bounded = boundSummary([...conversation.summary, ...lines], blocks, settings.maxSummaryBytes);
  // The newest turn is written whether or not the call compacts; the other kept turns and the changed summary are the cost.
  const summaryWritten = bounded.dropped > 0 ? bounded.summary : bounded.summary.slice(bounded.summary.length - lines.length);
  const rewritten = turnsBytes(turns.slice(older.length, -1)) + wireBytes(summaryWritten);
  if (removed < settings.forceCompactAfterBytes && removed < CACHE_WRITE_OVER_READ * rewritten) return { ...conversation, turns };
  return {
    ...conversation,
    summary: bounded.summary,
    summaryBlocks: bounded.blocks,
    omittedSummaryLines: conversation.omittedSummaryLines + bounded.dropped,
    turns: turns.slice(older.length),
  };
}

/** Bytes of the turns as they go on the wire: their assistant blocks, results and notes. */
export function turnsBytes(turns: readonly ConversationTurn[]): number {
  let total = 0;
  for (const turn of turns) total += byteLength(JSON.stringify([turn.assistant, turn.results, turn.note ?? '']));
  return total;
}

/** Bytes of summary lines as they go on the wire, in a JSON string (each with its line break). */
function wireBytes(lines: readonly string[]): number {
  let total = 0;
  for (const line of lines) total += byteLength(JSON.stringify(line)) - 1;
  return total;
}

/** Bytes of the summary's lines (each with its line break). */
export function summaryBytes(summary: readonly string[]): number {
  let total = 0;
  for (const line of summary) total += byteLength(line) + 1;
  return total;
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

/** Summary blocks as line counts; a conversation from before blocks holds all its lines in one. */
function blocksOf(conversation: Conversation): number[] {
  if (conversation.summaryBlocks) return [...conversation.summaryBlocks];
  return conversation.summary.length > 0 ? [conversation.summary.length] : [];
}

/**
 * Over the cap, the oldest lines go until the summary fits in half of it, so the next cut (which
 * rewrites the whole summary) is many compactions away. The newest block is kept whole if it can be.
 */
function boundSummary(summary: string[], blocks: number[], maxBytes: number): { summary: string[]; blocks: number[]; dropped: number } {
  if (summaryBytes(summary) <= maxBytes) return { summary, blocks, dropped: 0 };
  let dropped = 0;
  let remaining = summaryBytes(summary);
  while (dropped < summary.length && remaining > maxBytes / 2) {
    remaining -= byteLength(summary[dropped]) + 1;
    dropped += 1;
  }
  const kept: number[] = [];
  let skip = dropped;
  for (const count of blocks) {
    const left = count - Math.min(skip, count);
    skip -= count - left;
    if (left > 0) kept.push(left);
  }
  return { summary: summary.slice(dropped), blocks: kept, dropped };
}

function renderSummaryBlocks(conversation: Conversation): string[] {
  const blocks = blocksOf(conversation);
  if (blocks.length === 0) return [];
  const header =
    conversation.omittedSummaryLines > 0 ? `Earlier steps, compacted (${conversation.omittedSummaryLines} older lines omitted):` : 'Earlier steps, compacted:';
  const texts: string[] = [];
  let start = 0;
  for (const count of blocks) {
    const lines = conversation.summary.slice(start, start + count);
    texts.push((texts.length === 0 ? [header, ...lines] : lines).join('\n'));
    start += count;
  }
  return texts;
}

function stubsOf(turn: ConversationTurn, stubBytes: number): string[] {
  const lines: string[] = [];
  const said = turn.assistant
    .filter((block) => block.type === 'text')
    .map((block) => block.text)
    .join(' ')
    .trim();
  if (said) lines.push(`turn ${turn.turn} · said: ${capText(said, stubBytes)}`);
  for (const block of turn.assistant) {
    if (block.type !== 'tool_use') continue;
    const result = turn.results.find((candidate) => candidate.tool_use_id === block.id);
    const outcome = result ? `${result.is_error ? 'error' : 'ok'}: ${capText(result.content, stubBytes)}` : 'no result';
    lines.push(`turn ${turn.turn} · ${block.name}(${capText(JSON.stringify(block.input), stubBytes)}) → ${outcome}`);
  }
  return lines;
}
