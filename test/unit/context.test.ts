/**
 * Context policy: the messages one model call carries stay valid for the Messages API, compact in batches,
 * are deterministic, and stay bounded however long the run goes.
 */
import { byteLength } from '../../src/policies/canonical';
import {
  appendTurn,
  buildContext,
  capText,
  DEFAULT_CONTEXT,
  MAX_SUMMARY_LINES,
  newConversation,
  resolveContextSettings,
  type Conversation,
  type ConversationTurn,
} from '../../src/policies/context';
import type { ContextSettings } from '../../src/shared/contracts';
import type { ContentBlockParam, MessageParam } from '../../src/shared/wire';

const TASK = 'Book a trip to Lisbon for two, 14-18 May, under 1500 EUR.';

/** A turn like the loop records: some text, one or two tool calls, and their results. */
function toolTurn(turn: number): ConversationTurn {
  const calls = turn % 3 === 0 ? 2 : 1;
  const assistant: ConversationTurn['assistant'] = [{ type: 'text', text: `Step ${turn}: checking option ${turn}.` }];
  const results: ConversationTurn['results'] = [];
  for (let index = 0; index < calls; index++) {
    const id = `toolu_${turn}_${index}`;
    assistant.push({ type: 'tool_use', id, name: index === 0 ? 'search_flights' : 'search_hotels', input: { query: `option ${turn}`, page: index } });
    results.push({
      type: 'tool_result',
      tool_use_id: id,
      content: JSON.stringify({ results: Array.from({ length: 5 }, (_, n) => ({ id: `R${turn}-${n}`, price: 100 + n, note: 'x'.repeat(40) })) }),
      ...(turn % 7 === 0 ? { is_error: true } : {}),
    });
  }
  return { turn, assistant, results };
}

function runTurns(count: number, settings: ContextSettings = DEFAULT_CONTEXT): Conversation[] {
  const history: Conversation[] = [];
  let conversation = newConversation(TASK);
  for (let turn = 1; turn <= count; turn++) {
    conversation = appendTurn(conversation, toolTurn(turn), settings);
    history.push(conversation);
  }
  return history;
}

/** A UTF-16 surrogate without its partner: it cannot be encoded as UTF-8 and turns into U+FFFD on the wire. */
function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function blocksOf(message: MessageParam): ContentBlockParam[] {
  return typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
}

describe('buildContext', () => {
  it('starts with the task alone when nothing has happened yet', () => {
    expect(buildContext(newConversation(TASK))).toEqual([{ role: 'user', content: [{ type: 'text', text: TASK }] }]);
  });

  it('alternates user and assistant, starting with user, and answers every tool_use in the next message', () => {
    for (const conversation of runTurns(40)) {
      const messages = buildContext(conversation);
      expect(messages[0].role).toBe('user');
      messages.forEach((message, index) => expect(message.role).toBe(index % 2 === 0 ? 'user' : 'assistant'));
      messages.forEach((message, index) => {
        const toolUseIds = blocksOf(message).flatMap((block) => (block.type === 'tool_use' ? [block.id] : []));
        if (toolUseIds.length === 0) return;
        const reply = messages[index + 1];
        expect(reply?.role).toBe('user');
        const resultIds = blocksOf(reply).flatMap((block) => (block.type === 'tool_result' ? [block.tool_use_id] : []));
        expect(resultIds).toEqual(toolUseIds);
      });
    }
  });

  it('puts the tool results before the note in the user reply', () => {
    const turn: ConversationTurn = { ...toolTurn(1), note: 'continue' };
    const messages = buildContext(appendTurn(newConversation(TASK), turn, DEFAULT_CONTEXT));
    expect(messages.map((message) => blocksOf(message).map((block) => block.type))).toEqual([
      ['text'],
      ['text', 'tool_use'],
      ['tool_result', 'text'],
    ]);
    expect(messages[2].content).toEqual([...turn.results, { type: 'text', text: 'continue' }]);
  });

  it('ends on the assistant turn when a paused turn has no reply yet', () => {
    const paused: ConversationTurn = { turn: 1, assistant: [{ type: 'text', text: 'Searching the web…' }], results: [] };
    const messages = buildContext(appendTurn(newConversation(TASK), paused, DEFAULT_CONTEXT));
    expect(messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: TASK }] },
      { role: 'assistant', content: paused.assistant },
    ]);
  });

  it('shows compacted turns as one summary block after the task', () => {
    const settings = { ...DEFAULT_CONTEXT, keepTurns: 1 };
    let conversation = newConversation(TASK);
    conversation = appendTurn(conversation, toolTurn(1), settings);
    conversation = appendTurn(conversation, toolTurn(2), settings);
    const [opening] = buildContext(conversation);
    expect(opening.content).toEqual([
      { type: 'text', text: TASK },
      {
        type: 'text',
        text: [
          'Earlier steps, compacted:',
          'turn 1 · said: Step 1: checking option 1.',
          `turn 1 · search_flights({"query":"option 1","page":0}) → ok: ${capText(toolTurn(1).results[0].content, 160)}`,
        ].join('\n'),
      },
    ]);
  });
});

describe('appendTurn', () => {
  it('keeps between keepTurns and 2*keepTurns-1 turns verbatim, compacting keepTurns at a time', () => {
    const sizes = runTurns(20).map((conversation) => conversation.turns.length);
    expect(sizes).toEqual([1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4, 5, 6, 7, 4]);
    for (const keepTurns of [1, 2, 3, 5]) {
      const settings = { ...DEFAULT_CONTEXT, keepTurns };
      for (const conversation of runTurns(50, settings).slice(keepTurns)) {
        expect(conversation.turns.length).toBeGreaterThanOrEqual(keepTurns);
        expect(conversation.turns.length).toBeLessThanOrEqual(2 * keepTurns - 1);
      }
    }
  });

  it('keeps the newest turns verbatim and the oldest as stubs', () => {
    const after8 = runTurns(8)[7];
    expect(after8.turns.map((turn) => turn.turn)).toEqual([5, 6, 7, 8]);
    // Turns 1, 2, 4 have one call (2 lines each) and turn 3 has two (3 lines).
    expect(after8.summary).toHaveLength(9);
    expect(after8.summary[0]).toBe('turn 1 · said: Step 1: checking option 1.');
    expect(after8.summary[8]).toMatch(/^turn 4 · search_flights\(\{"query":"option 4","page":0\}\) → ok: /);
  });

  it('changes the prefix Claude sees only at a compaction, so the cache stays warm in between', () => {
    const history = runTurns(16);
    for (let index = 1; index < history.length; index++) {
      const before = buildContext(history[index - 1]);
      const after = buildContext(history[index]);
      const compacted = history[index].turns.length < history[index - 1].turns.length;
      if (!compacted) expect(after.slice(0, before.length)).toEqual(before);
      else expect(after[0]).not.toEqual(before[0]);
    }
  });

  it('marks errors and missing results in the stubs', () => {
    const settings = { ...DEFAULT_CONTEXT, keepTurns: 1 };
    const failed: ConversationTurn = {
      turn: 1,
      assistant: [
        { type: 'tool_use', id: 'a', name: 'book_hotel', input: { hotel: 'H1' } },
        { type: 'tool_use', id: 'b', name: 'book_car', input: {} },
      ],
      results: [{ type: 'tool_result', tool_use_id: 'a', content: 'sold out', is_error: true }],
    };
    const conversation = appendTurn(appendTurn(newConversation(TASK), failed, settings), toolTurn(2), settings);
    expect(conversation.summary).toEqual(['turn 1 · book_hotel({"hotel":"H1"}) → error: sold out', 'turn 1 · book_car({}) → no result']);
  });

  it('caps each stub at stubBytes', () => {
    const settings = { ...DEFAULT_CONTEXT, keepTurns: 1, stubBytes: 10 };
    const chatty: ConversationTurn = { turn: 1, assistant: [{ type: 'text', text: 'y'.repeat(50) }], results: [], note: 'go on' };
    const conversation = appendTurn(appendTurn(newConversation(TASK), chatty, settings), toolTurn(2), settings);
    expect(conversation.summary).toEqual([`turn 1 · said: ${'y'.repeat(10)}…[cut: 40 of 50 bytes not shown]`]);
  });

  it(`keeps at most ${MAX_SUMMARY_LINES} summary lines and counts the ones it dropped`, () => {
    const history = runTurns(100);
    const last = history[99];
    expect(last.summary).toHaveLength(MAX_SUMMARY_LINES);
    // 96 turns compacted: turns divisible by 3 give 3 lines, the others 2 -> 32*3 + 64*2 = 224 lines.
    expect(last.omittedSummaryLines).toBe(224 - MAX_SUMMARY_LINES);
    expect(last.summary.at(-1)).toMatch(/^turn 96 · search_hotels/);
    const summaryText = blocksOf(buildContext(last)[0])[1];
    expect(summaryText).toMatchObject({ type: 'text' });
    expect((summaryText as { text: string }).text.split('\n')[0]).toBe('Earlier steps, compacted (164 older lines omitted):');
    for (const conversation of history) expect(conversation.summary.length).toBeLessThanOrEqual(MAX_SUMMARY_LINES);
  });

  it('is deterministic: the same turns give the same conversation and the same messages', () => {
    const first = runTurns(77);
    const second = runTurns(77);
    expect(JSON.stringify(first.map(buildContext))).toBe(JSON.stringify(second.map(buildContext)));
    expect(second).toEqual(first);
  });

  it('does not mutate the conversation it is given', () => {
    const conversation = runTurns(7)[6];
    const snapshot = JSON.stringify(conversation);
    appendTurn(conversation, toolTurn(8), DEFAULT_CONTEXT);
    expect(JSON.stringify(conversation)).toBe(snapshot);
  });

  it('keeps the context size bounded: turn 300 is within 10% of turn 30', () => {
    const history = runTurns(300);
    const sizeAt = (turn: number) => byteLength(JSON.stringify(buildContext(history[turn - 1])));
    const at30 = sizeAt(30);
    const at300 = sizeAt(300);
    expect(Math.abs(at300 - at30) / at30).toBeLessThanOrEqual(0.1);
    const largest = Math.max(...history.map((conversation) => byteLength(JSON.stringify(buildContext(conversation)))));
    expect(largest).toBeLessThanOrEqual(at30 * 1.5);
  });
});

describe('resolveContextSettings', () => {
  it('fills defaults and keeps at least one whole verbatim turn', () => {
    expect(resolveContextSettings(undefined)).toEqual({ keepTurns: 4, maxToolResultBytes: 8192, stubBytes: 160 });
    expect(resolveContextSettings({ keepTurns: 0, stubBytes: undefined })).toEqual({ keepTurns: 1, maxToolResultBytes: 8192, stubBytes: 160 });
    expect(resolveContextSettings({ keepTurns: 2.7 }).keepTurns).toBe(2);
  });
});

describe('capText', () => {
  it('returns text within the limit unchanged', () => {
    expect(capText('hello', 5)).toBe('hello');
    expect(capText('', 0)).toBe('');
    expect(capText('é', 2)).toBe('é');
  });

  it('cuts ASCII at exactly the byte limit and says how big the original was', () => {
    expect(capText('abcdefghij', 4)).toBe('abcd…[cut: 6 of 10 bytes not shown]');
  });

  it('counts bytes, not characters, for multi-byte UTF-8', () => {
    // 'é' is 2 bytes, '€' 3, '😀' 4 (a surrogate pair in JS).
    expect(capText('ééé', 6)).toBe('ééé');
    expect(capText('ééé', 5)).toBe('éé…[cut: 2 of 6 bytes not shown]');
    expect(capText('€€€', 7)).toBe('€€…[cut: 3 of 9 bytes not shown]');
    expect(capText('😀😀😀', 9)).toBe('😀😀…[cut: 4 of 12 bytes not shown]');
  });

  it('never splits a surrogate pair', () => {
    // A cut inside '😀' would leave a lone surrogate, which Claude would receive as U+FFFD.
    const cut = capText('a😀', 4);
    const kept = cut.slice(0, cut.indexOf('…[cut:'));
    expect(kept).toBe('a');
    expect(hasLoneSurrogate(kept)).toBe(false);
  });

  it('keeps the longest whole-character prefix that fits the limit', () => {
    const cut = capText('é'.repeat(100), 100);
    const kept = cut.slice(0, cut.indexOf('…[cut:'));
    expect(byteLength(kept)).toBe(100);
    expect(cut).toBe(`${'é'.repeat(50)}…[cut: 100 of 200 bytes not shown]`);
  });

  it('keeps every prefix within the limit and well formed, for any limit', () => {
    const text = 'aé€😀'.repeat(20);
    for (let maxBytes = 0; maxBytes <= byteLength(text); maxBytes++) {
      const cut = capText(text, maxBytes);
      const markerAt = cut.indexOf('…[cut:');
      const kept = markerAt === -1 ? cut : cut.slice(0, markerAt);
      expect(byteLength(kept)).toBeLessThanOrEqual(maxBytes);
      expect(text.startsWith(kept)).toBe(true);
      expect(hasLoneSurrogate(kept)).toBe(false);
    }
  });
});
