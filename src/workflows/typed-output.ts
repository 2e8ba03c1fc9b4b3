/**
 * The final answer of an agent with an output schema: accepted once it validates, sent back to Claude with the
 * errors while attempts remain, the end of the saga when none do.
 */
import type { Conversation } from '../policies/context';
import { checkFinalOutput, DEFAULT_OUTPUT_ATTEMPTS, reaskNote } from '../policies/output';
import type { Run } from './run-memory';

export type FinalAnswer = { kind: 'accepted' } | { kind: 'reask' } | { kind: 'abort'; reason: string };

/** Takes in Claude's final text: sets the run's final text and output, or the note that asks again. */
export function acceptFinalAnswer(run: Run, conversation: Conversation, finalText: string): FinalAnswer {
  const { memory, settings, timeline } = run;
  const schema = settings.agent.output;
  memory.conversation = conversation;
  if (!schema) {
    memory.finalText = finalText;
    return { kind: 'accepted' };
  }
  const check = checkFinalOutput(finalText, schema);
  if (check.kind === 'valid') {
    memory.finalText = finalText;
    memory.output = check.value;
    timeline.note('run', 'final answer matches the output schema', 'ok');
    return { kind: 'accepted' };
  }
  const attempts = (memory.outputAttempts ?? 0) + 1;
  const allowed = settings.agent.outputAttempts ?? DEFAULT_OUTPUT_ATTEMPTS;
  memory.outputAttempts = attempts;
  timeline.note('model', `final answer does not match the output schema (${attempts} of ${allowed})`, 'error', check.errors);
  if (attempts >= allowed) {
    return { kind: 'abort', reason: `the final answer did not match the agent's output schema after ${attempts} attempt(s): ${check.errors}` };
  }
  memory.conversation = withNoteOnLastTurn(conversation, reaskNote(check.errors));
  return { kind: 'reask' };
}

function withNoteOnLastTurn(conversation: Conversation, note: string): Conversation {
  const last = conversation.turns.at(-1);
  if (!last) return conversation;
  return { ...conversation, turns: [...conversation.turns.slice(0, -1), { ...last, note }] };
}
