/**
 * Puts the run's principal and tenant on every log line the worker writes for a sagent activity (Temporal's own
 * "Activity started/completed" lines and the activity's `log` calls), read from the activity's input. Always on:
 * it needs no telemetry package.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityInboundCallsInterceptor, ActivityInterceptors, ActivityOutboundCallsInterceptor } from '@temporalio/worker';
import type { RunIdentity } from '../shared/policy';

/** The identity an activity's first argument carries, if it names one. */
export function identityOfInput(arg: unknown): RunIdentity | undefined {
  const identity = (arg as { identity?: unknown } | null)?.identity as Partial<RunIdentity> | undefined;
  return typeof identity?.principal === 'string'
    ? { principal: identity.principal, ...(typeof identity.tenant === 'string' ? { tenant: identity.tenant } : {}) }
    : undefined;
}

/** The log attributes of a run's identity: `principal`, and `tenant` when it has one. */
export function identityLogAttributes(identity: RunIdentity | undefined): Record<string, string> {
  if (!identity) return {};
  return { principal: identity.principal, ...(identity.tenant ? { tenant: identity.tenant } : {}) };
}

/** One activity's interceptors: the inbound side reads the identity, the outbound side adds it to each log line. */
export function identityLogInterceptors(_ctx: Context): ActivityInterceptors {
  let identity: RunIdentity | undefined;
  const inbound: ActivityInboundCallsInterceptor = {
    execute(input, next) {
      identity = identityOfInput(input.args[0]);
      return next(input);
    },
  };
  const outbound: ActivityOutboundCallsInterceptor = {
    getLogAttributes(attributes, next) {
      return next({ ...attributes, ...identityLogAttributes(identity) });
    },
  };
  return { inbound, outbound };
}
