/**
 * The `patched()` ids of behaviour added after histories were committed: old histories replay the old
 * commands, new runs take the new path (DESIGN.md, guarantee 8).
 */
import { patched } from '@temporalio/workflow';

export const PATCHES = {
  /** Identical committed state-changing calls answered from the first; refusals counted; a stuck model stopped. */
  repeatGuard: 'sagent-repeat-guard',
  /** Effects whose outcome is unknown are reconciled before the run completes. */
  reconcileUnknown: 'sagent-reconcile-unknown',
  /** Time spent waiting for a person does not spend the wall-clock budget. */
  humanWaitOffClock: 'sagent-human-wait-off-clock',
  /** An approved call waits for a top-up when the budget ran out while the approval waited. */
  budgetBeforeApprovedCall: 'sagent-budget-before-approved-call',
  /** Continue-as-new carries bounded books: the newest timeline and decisions, the ledger a rollback still needs. */
  compactCarried: 'sagent-compact-carried',
  /**
   * Model calls ride out outages: fewer attempts per model, fallback models, a `model_unavailable` pause on durable
   * timers instead of a rollback, the run's model queue, and the wind-down notice near the end of a budget.
   */
  modelOutage: 'sagent-model-outage',
  /** A delegated run's summary names the agent and the step, not the model's task text (which may hold a secret). */
  secretFreeSummaries: 'sagent-secret-free-summaries',
  /** Signatures cover the chain's first run id too, so a signed decision never counts in another run of the same id. */
  signedRunId: 'sagent-signed-run-id',
  /** An approved call in the budget's last step runs: its step was spent when Claude asked for it. */
  approvedCallLastStep: 'sagent-approved-call-last-step',
  /** Effects whose outcome is unknown are reconciled before an irreversible or privileged call runs (a pivot). */
  settleBeforePivot: 'sagent-settle-before-pivot',
  /**
   * Who may do what: the worker's access map asked at the run's start, calls decided by policy rules (allow, ask,
   * deny) with MCP tools asking by default, untrusted output fenced and tainting the run, and the audit trail.
   */
  policy: 'sagent-policy',
  /** Continue-as-new carries the live feed's next offset and newest events. */
  feedCarried: 'sagent-feed-carried',
  /**
   * A read the policy asks about waits for a person (before, it was refused), and MCP reads ask by default; the run's
   * principal and tenant ride on its effect records and its activities' inputs.
   */
  askReads: 'sagent-ask-reads',
  /** Each call the rules let through is put to the worker's `auto` verdict source (only on workers that have one). */
  autoVerdict: 'sagent-auto-verdict',
  /**
   * A lean start: the worker's access map is asked by a local activity (no activity task and no second workflow task),
   * so a new run's start is one workflow task.
   */
  leanStart: 'sagent-lean-start',
  /**
   * Every patch of `BUNDLED_PATCHES` at once: a run that starts on code that has it records this one marker (and one
   * change-version upsert) instead of one of each per patch. Read it through `isPatched`, never on its own.
   */
  bundled: 'sagent-bundled-patches-1',
} as const;

/**
 * The patches `PATCHES.bundled` stands for. Closed: a patch added later is asked with `patched()` itself, since runs
 * that recorded the bundle did not take it.
 */
const BUNDLED_PATCHES = [
  PATCHES.repeatGuard,
  PATCHES.reconcileUnknown,
  PATCHES.humanWaitOffClock,
  PATCHES.budgetBeforeApprovedCall,
  PATCHES.compactCarried,
  PATCHES.modelOutage,
  PATCHES.secretFreeSummaries,
  PATCHES.signedRunId,
  PATCHES.approvedCallLastStep,
  PATCHES.settleBeforePivot,
  PATCHES.policy,
  PATCHES.feedCarried,
  PATCHES.askReads,
  PATCHES.autoVerdict,
  PATCHES.leanStart,
] as const;

/** A patch that `PATCHES.bundled` stands for. */
export type BundledPatch = (typeof BUNDLED_PATCHES)[number];

/**
 * Whether the run takes the behaviour of `patch`: the bundle's marker says yes for every bundled patch at once; a
 * history recorded before the bundle replays each patch's own marker. A run that started without the bundle and goes
 * on, after its replay, on this code takes the bundle from then on, as it would each patch on its own.
 */
export function isPatched(patch: BundledPatch): boolean {
  if (!(BUNDLED_PATCHES as readonly string[]).includes(patch)) return patched(patch);
  return patched(PATCHES.bundled) || patched(patch);
}
