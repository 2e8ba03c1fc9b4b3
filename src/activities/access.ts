/**
 * Who may use which tools, as the worker configures it: principals map to roles, roles to tool globs. A run asks
 * once, at its start; the answer is in its history and carried, so a replay and the next run see the same tools.
 */
import { matchesAny } from '../policies/tool-policy';
import type { AccessGrant, AccessRequest } from '../shared/policy';

/** The worker's access map (`SagentWorkerOptions.access`). */
export interface AccessOptions {
  /** Tool names or globs each role may use, e.g. `{ booker: ['search_*', 'book_*'], payer: ['charge_card'] }`. */
  roles: Record<string, readonly string[]>;
  /** Roles of each principal, e.g. `{ alice: ['booker', 'payer'] }`. A `*` entry applies to every principal. */
  principals: Record<string, readonly string[]>;
  /** Roles of a run started without a principal. @default [] (only the read-only tools of no role: nothing) */
  anonymous?: readonly string[];
}

export interface AccessDeps {
  access?: AccessOptions;
  /** Whether the worker has an `auto` verdict source (the grant tells the run to put its calls to it). */
  autoVerdict?: unknown;
  /** The agents whose runs put their calls to the `auto` source. @default every agent */
  autoVerdictAgents?: readonly string[];
}

export function createAccessActivities(deps: AccessDeps) {
  return {
    /** The tools the run's principal may use; `allowed: null` when the worker maps nobody (every tool). */
    async resolveAccess(request: AccessRequest): Promise<AccessGrant> {
      const grant = grantFor(deps.access, request);
      const judged = deps.autoVerdict && (!deps.autoVerdictAgents || deps.autoVerdictAgents.includes(request.agent));
      return judged ? { ...grant, auto: true } : grant;
    },
  };
}

/** The grant of one principal: the tools any of their roles names. */
export function grantFor(access: AccessOptions | undefined, request: AccessRequest): AccessGrant {
  if (!access) return { allowed: null, roles: [] };
  const own = request.principal !== null && Object.hasOwn(access.principals, request.principal) ? access.principals[request.principal] : undefined;
  const everyone = Object.hasOwn(access.principals, '*') ? access.principals['*'] : [];
  const roles = [...new Set(request.principal === null ? (access.anonymous ?? []) : [...(own ?? []), ...everyone])];
  const globs = roles.flatMap((role) => (Object.hasOwn(access.roles, role) ? access.roles[role] : []));
  return { allowed: request.tools.filter((tool) => matchesAny(globs, tool)), roles };
}
