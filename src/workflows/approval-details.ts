/**
 * The approval part of a run's current details (Markdown, as the Temporal UI renders it): per pending call what it
 * does, why it waits, who may decide, when it expires, and the `decide` / `approval` payload to paste; then the
 * recent refused attempts. Inputs arrive masked; everything here is bounded, whatever a sender sent, and written as
 * data (escaped text or code), never as Markdown a sender could shape.
 */
import { describeDeciders, HOW_TO_SIGN } from '../policies/approval';
import { codeBlock, codeSpan, plainText } from '../shared/markdown';
import type { PendingApproval, RejectedAttempt } from '../shared/records';
import type { ApprovalSettings } from '../shared/run';

/** Refused attempts the details list, newest first. */
const REFUSALS_SHOWN = 5;
/** The longest input shown per call; the full (masked) input is in `getState`. */
const INPUT_SHOWN = 2_000;

/**
 * The paste-ready payload of a decision on `request`; the same object works for the `decide` update and the `approval`
 * signal. It carries no placeholder reason (a placeholder is refused, never recorded): people add their own.
 */
export function decisionTemplate(request: PendingApproval): Record<string, string> {
  return {
    callId: request.callId,
    argsHash: request.argsHash,
    decision: 'approve',
    approver: request.approvers[0] ?? '<your name>',
  };
}

/** The Markdown sections for the pending calls and the recent refusals. */
export function renderApprovalDetails(pending: readonly PendingApproval[], refusals: readonly RejectedAttempt[], settings: ApprovalSettings): string[] {
  const sections = pending.map((request) => renderPending(request, settings));
  const recent = refusals.slice(-REFUSALS_SHOWN).reverse();
  if (recent.length > 0) {
    // The sender's name is what they typed: shown as code, and said to be unverified.
    const lines = recent.map(
      (attempt) =>
        `- ${attempt.at} · ${attempt.message ?? 'approval'} ${attempt.via} claiming to be ${attempt.approver ? codeSpan(attempt.approver) : 'nobody'} ` +
        `(unverified) for ${attempt.callId ? codeSpan(attempt.callId) : '(no call)'}: ${plainText(attempt.why)}`,
    );
    sections.push([`**Refused attempts** (latest ${recent.length}; all in getState.rejectedAttempts)`, ...lines].join('\n'));
  }
  return sections;
}

function renderPending(request: PendingApproval, settings: ApprovalSettings): string {
  const input = JSON.stringify(request.input, null, 2) ?? 'null';
  const payload = JSON.stringify(decisionTemplate(request), null, 2);
  const signed = Object.keys(settings.approverKeys).length > 0;
  return [
    `### Awaiting approval: ${plainText(request.tool)} (${plainText(request.callId)})`,
    `- **why it waits:** ${plainText(request.rule ?? `${request.tool} needs an approval`)}`,
    `- **who may decide:** ${plainText(describeDeciders(settings, request.approvers))}`,
    `- **expires:** ${plainText(request.expiresAt)}`,
    `- **argsHash:** ${codeSpan(request.argsHash)}`,
    '- **input:**',
    codeBlock(input.length > INPUT_SHOWN ? `${input.slice(0, INPUT_SHOWN)}\n… (cut; the whole input is in getState)` : input, 'json'),
    signed
      ? `This run accepts **signed** decisions only, so a pasted payload is refused: ${HOW_TO_SIGN}.`
      : 'To decide, send the **`decide`** update (or the **`approval`** signal) with this payload, as yourself (a `<...>` placeholder is ' +
        'refused), adding `"reason"` for the record; for a rejection set `"decision": "reject"` and a reason:',
    codeBlock(payload, 'json'),
  ].join('\n');
}
