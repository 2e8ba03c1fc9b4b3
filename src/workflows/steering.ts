/**
 * Steering a running agent: `sendMessage` queues a message for the next model call, `interrupt` stops the run
 * after the step in progress until a message or an abort comes, and a conversation agent waits for the next message
 * after each answer. The queue and the interrupt live in the run memory, so continue-as-new carries them.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { REFUSAL } from '../policies/operator-input';
import { checkMessage, DEFAULT_IDLE_TIMEOUT_MS, joinMessages, maySteer, type SteeringCheck } from '../policies/steering';
import { interruptUpdate, sendMessageUpdate } from '../shared/messages';
import type { AgentRunInput } from '../shared/run';
import { MESSAGE_DESCRIPTIONS } from './message-descriptions';
import { setStatus } from './publish';
import { recordRefusal } from './refusals';
import { isClosing, type Run } from './run-memory';

/** Installs `sendMessage` and `interrupt`; each refuses, visibly, a sender the run does not allow. */
export function installSteeringHandlers(run: Run, input: AgentRunInput): void {
  const { memory, timeline, flags, settings } = run;
  const allowed = (by: unknown): SteeringCheck => maySteer(String(by), input.steerers, settings.approval.approvers);
  setHandler(
    sendMessageUpdate,
    (message) => {
      const inbox = [...(memory.inbox ?? []), { text: message.text, by: message.by, at: new Date(Date.now()).toISOString() }];
      memory.inbox = inbox;
      memory.interrupted = null;
      timeline.note('run', `message from ${message.by}`, 'info', excerpt(message.text));
      return { queued: inbox.length };
    },
    {
      validator: (message) => {
        const check = checkMessage(message, memory.inbox?.length ?? 0);
        refuseUnless(run, 'sendMessage', message?.by, check.ok ? allowed(message.by) : check);
        if (isClosing(flags.status)) refuse(run, 'sendMessage', message.by, `the run is already ${flags.status}`);
      },
      description: MESSAGE_DESCRIPTIONS.sendMessage,
    },
  );
  setHandler(
    interruptUpdate,
    (request) => {
      memory.interrupted = { by: request.by, ...(request.reason ? { reason: request.reason.slice(0, 1000) } : {}) };
      timeline.note('run', `interrupted by ${request.by}`, 'info', request.reason);
    },
    {
      validator: (request) => {
        const named = typeof request?.by === 'string' && request.by.length > 0 && request.by.length <= 64;
        refuseUnless(
          run,
          'interrupt',
          request?.by,
          named ? allowed(request.by) : { ok: false, why: 'an interrupt needs `by`: your name, at most 64 characters' },
        );
        if (isClosing(flags.status)) refuse(run, 'interrupt', request.by, `the run is already ${flags.status}`);
      },
      description: MESSAGE_DESCRIPTIONS.interrupt,
    },
  );
}

/** Joins the queued messages to the conversation, before a model call reads it. */
export function takeMessages(run: Run): void {
  const inbox = run.memory.inbox;
  if (!inbox || inbox.length === 0) return;
  run.memory.conversation = joinMessages(run.memory.conversation, inbox);
  run.memory.inbox = [];
}

export type MessageWait = { kind: 'message' } | { kind: 'abort' } | { kind: 'idle' };

/** Waits, visibly, for a message or an abort; `idle` when none comes within the timeout. */
export async function waitForMessage(run: Run, why: string, timeoutMs = DEFAULT_IDLE_TIMEOUT_MS): Promise<MessageWait> {
  const { memory, flags } = run;
  setStatus(run, 'awaiting_message', why);
  const waitStarted = Date.now();
  const arrived = await condition(() => (memory.inbox?.length ?? 0) > 0 || flags.abortRequested !== null, timeoutMs);
  // Waiting for a person does not spend the run's wall-clock budget.
  memory.humanWaitMs += Date.now() - waitStarted;
  if (flags.abortRequested) return { kind: 'abort' };
  if (!arrived) return { kind: 'idle' };
  setStatus(run, 'running', null);
  return { kind: 'message' };
}

/** The idle timeout of a conversation agent. */
export function idleTimeoutOf(run: Run): number {
  return run.settings.agent.conversation?.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
}

function refuseUnless(run: Run, message: string, by: unknown, check: SteeringCheck): void {
  if (!check.ok) refuse(run, message, by, check.why);
}

function refuse(run: Run, message: string, by: unknown, why: string): never {
  recordRefusal(
    run.memory.rejectedAttempts,
    { callId: '', approver: typeof by === 'string' ? by.slice(0, 64) : '', why, via: 'update', code: REFUSAL.OperatorRefused, message },
    run.timeline,
  );
  throw ApplicationFailure.create({ type: REFUSAL.OperatorRefused, message: why, nonRetryable: true });
}

function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
