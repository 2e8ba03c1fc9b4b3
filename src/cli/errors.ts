/**
 * Exit codes and the one line a person sees when something goes wrong. Scripts rely on the codes; people rely on
 * the line saying what to do. Stacks only with SAGENT_DEBUG=1.
 */
import { isClientError, oneLine } from '../operations/errors';
import { grpcCode } from '../operations/context';
import type { RunStatus } from '../shared/contracts';

export { oneLine } from '../operations/errors';

/** The CLI's exit codes: a closed table, documented in the README and `sagent --help`. */
export const EXIT = {
  /** Completed, or the action succeeded. */
  ok: 0,
  /** Any error; one line on stderr says what to do. */
  error: 1,
  /** The run rolled back (compensated) or was cancelled. */
  undone: 2,
  /** A compensation keeps failing; an operator must retry or skip it. */
  blocked: 3,
} as const;
/** One of the CLI's exit codes ({@link EXIT}). */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure the user can fix, already phrased as one line saying what to do. */
export class CliError extends Error {
  override name = 'CliError' as const;
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.error,
  ) {
    super(message);
  }
}

/** The exit code a run's status calls for; live statuses other than `blocked` are 0. */
export function exitCodeFor(status: RunStatus): ExitCode {
  switch (status) {
    case 'compensated':
    case 'cancelled':
      return EXIT.undone;
    case 'blocked':
      return EXIT.blocked;
    case 'failed':
      return EXIT.error;
    default:
      return EXIT.ok;
  }
}

export interface ErrorContext {
  workflowId?: string;
  namespace?: string;
  address?: string;
}

const GRPC = { DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, PERMISSION_DENIED: 7, UNAVAILABLE: 14, UNAUTHENTICATED: 16 } as const;

/** One line for any error: ours verbatim, Temporal's translated into what to do. */
export function describeError(err: unknown, ctx: ErrorContext = {}): string {
  const name = (err as { name?: string } | null)?.name;
  const message = oneLine(err);
  if (name === 'CliError' || name?.startsWith('Temporal') || isClientError(err)) return message;
  if (name === 'WorkflowNotFoundError') return unknownRun(ctx);
  if (name === 'NamespaceNotFoundError') {
    return `namespace ${ctx.namespace ?? '?'} does not exist on ${ctx.address ?? 'the server'}: check TEMPORAL_NAMESPACE`;
  }
  if (name === 'WorkflowUpdateFailedError' || name === 'WorkflowFailedError') {
    return oneLine((err as { cause?: unknown }).cause ?? err);
  }
  const detail = causeDetail(err);
  if (/search attribute/i.test(detail)) {
    return `namespace ${ctx.namespace ?? '?'} lacks sagent's search attributes (${detail}): register AgentName, AgentStatus, AgentCostUsd, AgentSteps, AgentPendingApprovals, AgentPrincipal, AgentTenant (README: "Pointing at an existing cluster")`;
  }
  const grpc = grpcCode(err);
  if (grpc === GRPC.UNAVAILABLE) {
    return `cannot reach Temporal at ${ctx.address ?? 'the configured address'} (${message}): start it with \`npm run dev:server\` or check TEMPORAL_ADDRESS`;
  }
  if (grpc === GRPC.UNAUTHENTICATED || grpc === GRPC.PERMISSION_DENIED) {
    return `Temporal refused the request (${message}): check TEMPORAL_API_KEY, the TLS settings and TEMPORAL_NAMESPACE`;
  }
  if (grpc === GRPC.DEADLINE_EXCEEDED) return `Temporal did not answer in time (${message}): try again, or check the server`;
  if (grpc === GRPC.NOT_FOUND && ctx.workflowId) return unknownRun(ctx);
  return `${message}${detail && !message.includes(detail) ? `: ${detail}` : ''} (run with SAGENT_DEBUG=1 for details)`;
}

/** What the server said, when the SDK wraps it (`ServiceError: Failed to start Workflow` hides the reason). */
function causeDetail(err: unknown): string {
  const cause = (err as { cause?: { details?: unknown; message?: unknown } } | null)?.cause;
  const text = typeof cause?.details === 'string' && cause.details ? cause.details : typeof cause?.message === 'string' ? cause.message : '';
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function unknownRun(ctx: ErrorContext): string {
  return `no run "${ctx.workflowId ?? '?'}" in namespace ${ctx.namespace ?? 'default'}: check the id (sagent pending lists waiting runs)`;
}
