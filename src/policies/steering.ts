/**
 * Steering: who may tell a running agent something, how much, and how a message joins the conversation. Pure and
 * sandbox-safe; the workflow's handlers and loop call it.
 */
import type { Conversation } from './context';
import { byteLength } from './canonical';
import type { QueuedMessage } from '../shared/run';

/** Bytes of one message; a larger one is refused, never cut. */
export const MAX_MESSAGE_BYTES = 8192;

/** Messages that may wait for the next model call; more are refused until it reads them. */
export const MAX_QUEUED_MESSAGES = 20;

/** How long a conversation agent waits for the next message before it ends. @default 1 hour */
export const DEFAULT_IDLE_TIMEOUT_MS = 60 * 60 * 1000;

export type SteeringCheck = { ok: true } | { ok: false; why: string };

/** Whether `by` may steer the run: one of its steerers, or of its approvers when it names no steerers. */
export function maySteer(by: string, steerers: readonly string[] | undefined, approvers: readonly string[]): SteeringCheck {
  const allowed = steerers ?? approvers;
  if (allowed.length === 0) return { ok: false, why: 'this run names no one who may steer it: start it with steerers (or approvers)' };
  if (!allowed.includes(by)) return { ok: false, why: `${by} may not steer this run (allowed: ${allowed.join(', ')})` };
  return { ok: true };
}

/** Checks a message's shape and size, and that the queue has room. */
export function checkMessage(message: { text?: unknown; by?: unknown } | null | undefined, queued: number): SteeringCheck {
  if (typeof message?.by !== 'string' || message.by.length === 0 || message.by.length > 64)
    return { ok: false, why: 'a message needs `by`: your name, at most 64 characters' };
  if (typeof message.text !== 'string' || message.text.trim() === '') return { ok: false, why: 'a message needs `text`: what the agent should read' };
  const bytes = byteLength(message.text);
  if (bytes > MAX_MESSAGE_BYTES) return { ok: false, why: `the message is ${bytes} bytes; at most ${MAX_MESSAGE_BYTES} are accepted` };
  if (queued >= MAX_QUEUED_MESSAGES) return { ok: false, why: `${queued} messages already wait for the next model call; send again once it has read them` };
  return { ok: true };
}

/** The conversation with the messages as the user's words after the last turn (or after the task, before any). */
export function joinMessages(conversation: Conversation, messages: readonly QueuedMessage[]): Conversation {
  if (messages.length === 0) return conversation;
  const text = messages.map((message) => `Message from ${message.by}: ${message.text}`).join('\n\n');
  const last = conversation.turns.at(-1);
  if (!last) return { ...conversation, task: `${conversation.task}\n\n${text}` };
  const note = last.note ? `${last.note}\n\n${text}` : text;
  return { ...conversation, turns: [...conversation.turns.slice(0, -1), { ...last, note }] };
}
