/**
 * Context policy: the messages one model call carries stay valid for the Messages API, only grow at their
 * end between compactions, compact rarely and in one go, lose nothing the summary does not count, are
 * deterministic, and stay bounded however long the run goes.
 */
import { byteLength } from '../../src/policies/canonical';
import {
  appendTurn,
  buildContext,
  CACHE_WRITE_OVER_READ,
  capText,
  DEFAULT_CONTEXT,
  newConversation,
  resolveContextSettings,
  summaryBytes,
  turnsBytes,
  type Conversation,
  type ConversationTurn,
} from '../../src/policies/context';
import { countInputTokens, PromptCache } from '../../src/dev/token-count';
import { toParams } from '../../src/models/anthropic';
import type { ContextSettings } from '../../src/shared/contracts';
import { defineAgent } from '../../src/tools/define';
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
    expect(messages.map((message) => blocksOf(message).map((block) => block.type))).toEqual([['text'], ['text', 'tool_use'], ['tool_result', 'text']]);
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

  it('shows compacted turns as a summary block after the task', () => {
    const settings = { ...DEFAULT_CONTEXT, keepTurns: 1, compactAfterBytes: 1, forceCompactAfterBytes: 1 };
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

/** Small caps, so a few dozen turns go through many compactions and summary cuts. */
const SMALL: ContextSettings = { ...DEFAULT_CONTEXT, compactAfterBytes: 2048, forceCompactAfterBytes: 4096, maxSummaryBytes: 2048 };

function openingBlocks(conversation: Conversation): ContentBlockParam[] {
  return blocksOf(buildContext(conversation)[0]);
}

describe('appendTurn', () => {
  it('sends the whole conversation until the turns before the last keepTurns hold compactAfterBytes', () => {
    const history = runTurns(300);
    const first = history.findIndex((conversation) => conversation.summary.length > 0);
    expect(first).toBeGreaterThan(0);
    for (const conversation of history.slice(0, first)) expect(conversation.turns).toHaveLength(history.indexOf(conversation) + 1);
    const compacted = [...history[first - 1].turns, toolTurn(first + 1)].slice(0, -DEFAULT_CONTEXT.keepTurns);
    expect(turnsBytes(compacted)).toBeGreaterThanOrEqual(DEFAULT_CONTEXT.compactAfterBytes);
  });

  it('compacts everything but the last keepTurns at once, never less than compactAfterBytes, always by forceCompactAfterBytes', () => {
    for (const keepTurns of [1, 2, 4]) {
      const settings = { ...SMALL, keepTurns };
      const history = runTurns(200, settings);
      let compactions = 0;
      history.forEach((conversation, index) => {
        expect(turnsBytes(conversation.turns.slice(0, -keepTurns))).toBeLessThan(settings.forceCompactAfterBytes);
        const previous = history[index - 1];
        if (previous && conversation.turns.length <= previous.turns.length) {
          compactions += 1;
          expect(conversation.turns).toHaveLength(keepTurns);
          expect(turnsBytes([...previous.turns, toolTurn(index + 1)].slice(0, -keepTurns))).toBeGreaterThanOrEqual(settings.compactAfterBytes);
        }
      });
      expect(compactions).toBeGreaterThan(10);
    }
  });

  it('keeps the newest turns verbatim and the oldest as stubs', () => {
    const history = runTurns(40, SMALL);
    const first = history.find((conversation) => conversation.summary.length > 0)!;
    const newest = first.turns.at(-1)!.turn;
    expect(first.turns.map((turn) => turn.turn)).toEqual([newest - 1, newest]);
    expect(first.omittedSummaryLines + first.summary.length).toBeGreaterThan(first.summary.length - 1);
    expect(first.summary.at(-1)).toMatch(new RegExp(`^turn ${newest - 2} · search_`));
  });

  it('only appends between compactions; a compaction keeps the task and every earlier summary block as they were', () => {
    const history = runTurns(200, SMALL);
    let compactions = 0;
    for (let index = 1; index < history.length; index++) {
      const before = history[index - 1];
      const after = history[index];
      if (after.turns.length > before.turns.length) {
        expect(buildContext(after).slice(0, buildContext(before).length)).toEqual(buildContext(before));
        continue;
      }
      compactions += 1;
      expect(openingBlocks(after)[0]).toEqual({ type: 'text', text: TASK });
      if (after.omittedSummaryLines === before.omittedSummaryLines) {
        expect(openingBlocks(after).slice(0, openingBlocks(before).length)).toEqual(openingBlocks(before));
        expect(openingBlocks(after)).toHaveLength(openingBlocks(before).length + 1);
      }
    }
    expect(compactions).toBeGreaterThan(10);
  });

  it('marks errors and missing results in the stubs', () => {
    const settings = { ...DEFAULT_CONTEXT, keepTurns: 1, compactAfterBytes: 1, forceCompactAfterBytes: 1 };
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
    const settings = { ...DEFAULT_CONTEXT, keepTurns: 1, stubBytes: 10, compactAfterBytes: 1, forceCompactAfterBytes: 1 };
    const chatty: ConversationTurn = { turn: 1, assistant: [{ type: 'text', text: 'y'.repeat(50) }], results: [], note: 'go on' };
    const conversation = appendTurn(appendTurn(newConversation(TASK), chatty, settings), toolTurn(2), settings);
    expect(conversation.summary).toEqual([`turn 1 · said: ${'y'.repeat(10)}…[cut: 40 of 50 bytes not shown]`]);
  });

  it('keeps the summary within maxSummaryBytes, cutting its oldest lines down to half, and counts every line it cut', () => {
    const unbounded = runTurns(300, { ...SMALL, maxSummaryBytes: 10_000_000 });
    const history = runTurns(300, SMALL);
    let cuts = 0;
    history.forEach((conversation, index) => {
      expect(summaryBytes(conversation.summary)).toBeLessThanOrEqual(SMALL.maxSummaryBytes);
      // Nothing goes missing: the summary is the newest stubs of every compacted turn, the rest are counted.
      const all = unbounded[index].summary;
      expect(conversation.omittedSummaryLines + conversation.summary.length).toBe(all.length);
      expect(conversation.summary).toEqual(all.slice(conversation.omittedSummaryLines));
      expect((conversation.summaryBlocks ?? []).reduce((sum, count) => sum + count, 0)).toBe(conversation.summary.length);
      if (index > 0 && conversation.omittedSummaryLines > history[index - 1].omittedSummaryLines) {
        cuts += 1;
        expect(summaryBytes(conversation.summary)).toBeLessThanOrEqual(SMALL.maxSummaryBytes / 2);
      }
    });
    expect(cuts).toBeGreaterThan(3);
    const last = history[299];
    const header = (openingBlocks(last)[1] as { text: string }).text.split('\n')[0];
    expect(header).toBe(`Earlier steps, compacted (${last.omittedSummaryLines} older lines omitted):`);
  });

  it('is deterministic: the same turns give the same conversation and the same messages', () => {
    const first = runTurns(177, SMALL);
    const second = runTurns(177, SMALL);
    expect(JSON.stringify(first.map(buildContext))).toBe(JSON.stringify(second.map(buildContext)));
    expect(second).toEqual(first);
  });

  it('does not mutate the conversation it is given', () => {
    const conversation = runTurns(30, SMALL)[29];
    const snapshot = JSON.stringify(conversation);
    appendTurn(conversation, toolTurn(31), SMALL);
    expect(JSON.stringify(conversation)).toBe(snapshot);
  });

  it('keeps the context bounded: under a fixed ceiling, and flat from turn 100 to turn 300', () => {
    for (const settings of [DEFAULT_CONTEXT, SMALL]) {
      const sizes = runTurns(300, settings).map((conversation) => byteLength(JSON.stringify(buildContext(conversation))));
      // Where the window stands when a compaction falls due varies with the turns' sizes, by a turn or so.
      expect(Math.max(...sizes.slice(100))).toBeLessThanOrEqual(Math.max(...sizes.slice(0, 100)) * 1.05);
      const largestTurn = Math.max(...Array.from({ length: 300 }, (_, index) => turnsBytes([toolTurn(index + 1)])));
      // Older turns wait for the larger of the floor and what pays for the rewrite, never past the hard cap.
      const summaryWire = settings.maxSummaryBytes * 1.5;
      const older = Math.min(
        settings.forceCompactAfterBytes,
        Math.max(settings.compactAfterBytes, CACHE_WRITE_OVER_READ * (settings.keepTurns * largestTurn + summaryWire)),
      );
      const bound = byteLength(TASK) + older + (settings.keepTurns + 1) * largestTurn + summaryWire + 1024;
      expect(Math.max(...sizes)).toBeLessThanOrEqual(bound);
    }
  });

  it('continues a conversation carried from before summary blocks: its summary is one block, new ones follow', () => {
    const carried: Conversation = { task: TASK, summary: ['turn 1 · said: old', 'turn 2 · said: older'], omittedSummaryLines: 3, turns: [toolTurn(3)] };
    expect(openingBlocks(carried)).toEqual([
      { type: 'text', text: TASK },
      { type: 'text', text: 'Earlier steps, compacted (3 older lines omitted):\nturn 1 · said: old\nturn 2 · said: older' },
    ]);
    const next = appendTurn(carried, toolTurn(4), { ...DEFAULT_CONTEXT, keepTurns: 1, compactAfterBytes: 1, forceCompactAfterBytes: 1 });
    expect(next.summaryBlocks).toEqual([2, 3]);
    expect(openingBlocks(next).slice(0, 2)).toEqual(openingBlocks(carried));
  });
});

/** An agent whose system prompt is long enough to cache, and the request a conversation makes with it. */
const cacheAgent = defineAgent({ name: 'travel', description: 'Books trips', system: 'You book trips. '.repeat(400), tools: [] });
const params = (conversation: Conversation) =>
  toParams({
    model: 'claude-sonnet-4-6',
    maxTokens: 1024,
    agent: cacheAgent,
    toolNames: ['abort'],
    messages: buildContext(conversation),
    runId: 'run-1',
    turn: 1,
  });

describe('with the prompt cache', () => {
  it('reads every earlier request whole between compactions, and the task and earlier summary blocks at one', () => {
    const cache = new PromptCache();
    const history = [newConversation(TASK), ...runTurns(120, { ...SMALL, maxSummaryBytes: 16_384 })];
    let previousTotal = 0;
    let compactions = 0;
    history.forEach((conversation, index) => {
      const body = params(conversation);
      const usage = cache.account(body);
      expect(usage.input_tokens).toBe(0);
      const before = history[index - 1];
      if (before && conversation.turns.length > before.turns.length) expect(usage.cache_read_input_tokens).toBe(previousTotal);
      if (before && conversation.turns.length <= before.turns.length && conversation.omittedSummaryLines === before.omittedSummaryLines) {
        compactions += 1;
        const kept = { ...body, messages: [{ role: 'user' as const, content: openingBlocks(before) }] };
        expect(usage.cache_read_input_tokens).toBe(countInputTokens(kept));
      }
      previousTotal = countInputTokens(body);
    });
    expect(compactions).toBeGreaterThan(0);
  });
});

describe('against the whole conversation, both with the prompt cache', () => {
  const NEVER: ContextSettings = { ...DEFAULT_CONTEXT, compactAfterBytes: Number.POSITIVE_INFINITY, forceCompactAfterBytes: Number.POSITIVE_INFINITY };

  /** Billed-equivalent input tokens of the first n requests, for n = 1 .. turns + 1. */
  function billedSoFar(settings: ContextSettings, turns: number): number[] {
    const cache = new PromptCache();
    const sums: number[] = [];
    let total = 0;
    [newConversation(TASK), ...runTurns(turns, settings)].forEach((conversation) => {
      const usage = cache.account(params(conversation));
      sums.push((total += usage.input_tokens + 0.1 * usage.cache_read_input_tokens + 1.25 * usage.cache_creation_input_tokens));
    });
    return sums;
  }

  it('never costs more, at any length: a compaction waits until it pays for itself at once', () => {
    const whole = billedSoFar(NEVER, 200);
    const variants: ContextSettings[] = [
      DEFAULT_CONTEXT,
      { ...DEFAULT_CONTEXT, keepTurns: 1 },
      { ...DEFAULT_CONTEXT, keepTurns: 4 },
      { ...DEFAULT_CONTEXT, compactAfterBytes: 2048, maxSummaryBytes: 16_384 },
    ];
    for (const settings of variants) {
      const ours = billedSoFar(settings, 200);
      ours.forEach((sum, index) => expect(sum).toBeLessThanOrEqual(whole[index] + 1e-6));
      expect(ours[200]).toBeLessThan(whole[200] * 0.9);
    }
  });

  it('regression: compactions forced before they pay (forceCompactAfterBytes) do cost more for a while', () => {
    const whole = billedSoFar(NEVER, 120);
    const forced = billedSoFar({ ...SMALL, maxSummaryBytes: 16_384 }, 120);
    expect(forced.some((sum, index) => sum > whole[index])).toBe(true);
  });
});

describe('resolveContextSettings', () => {
  it('fills defaults and keeps at least one whole verbatim turn', () => {
    const defaults = { keepTurns: 2, stubBytes: 160, compactAfterBytes: 16_384, forceCompactAfterBytes: 131_072, maxSummaryBytes: 2048 };
    expect(resolveContextSettings(undefined)).toEqual(defaults);
    expect(resolveContextSettings({ keepTurns: 0, stubBytes: undefined })).toEqual({ ...defaults, keepTurns: 1 });
    expect(resolveContextSettings({ keepTurns: 2.7, compactAfterBytes: 4096 })).toMatchObject({ keepTurns: 2, compactAfterBytes: 4096 });
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
