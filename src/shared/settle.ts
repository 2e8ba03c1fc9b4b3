/**
 * Schemas that outlive a run. The workflow entry is preloaded (`SAGENT_PRELOAD_MODULES`): evaluated once per
 * workflow context and shared by every run, and the SDK deep-freezes what shared modules export, stopping at an
 * object that is frozen already. zod writes to a schema as it is used: members built on first read are stored on the
 * instance, and a format check resets its pattern's `lastIndex`, where zod's own patterns (`z.email()`) are exports of
 * a shared module, frozen. So an exported schema is settled and frozen at its top, and every schema a tool declares
 * checks with patterns of its own. Sandbox-safe: plain objects only.
 */
import { inWorkflowContext } from '@temporalio/workflow';

/** Builds every member the instance's prototypes build on first read (zod marks them with a getter and a setter). */
function materialize(target: object): void {
  for (let proto = Object.getPrototypeOf(target) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, key);
      if (!descriptor?.get || !descriptor.set || Object.hasOwn(target, key)) continue;
      try {
        void (target as Record<string, unknown>)[key];
      } catch {
        // A member that does not apply to this schema stays unbuilt; nothing reads it.
      }
    }
  }
}

/** `schema`, safe to export from a shared module: its members built and the instance frozen, its internals not. */
export function shareable<Schema extends object>(schema: Schema): Schema {
  ownPatterns(schema);
  if (inWorkflowContext()) return schema;
  materialize(schema);
  return Object.freeze(schema);
}

const isRegExp = (value: unknown): value is RegExp => Object.prototype.toString.call(value) === '[object RegExp]';

/** Gives every format check in `value` (and the schemas within) a pattern of its own, in place. */
export function ownPatterns(value: unknown, seen = new Set<object>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value) || Object.isFrozen(value)) return;
  seen.add(value);
  const proto = Object.getPrototypeOf(value) as object | null;
  const internals = (value as { _zod?: { def?: Record<string, unknown> } })._zod;
  if (internals?.def) {
    const { def } = internals;
    if (isRegExp(def.pattern)) def.pattern = new RegExp(def.pattern.source, def.pattern.flags);
    ownPatterns(def, seen);
    return;
  }
  if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) return;
  for (const key of Object.keys(value)) ownPatterns((value as Record<string, unknown>)[key], seen);
}
