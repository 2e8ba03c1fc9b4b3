/**
 * The effects ledger: every operation's effect with its key, the undo endpoint keyed by the original
 * operation's key, and the ledger read tests and operators use.
 */
import { z } from 'zod';
import type { Queryable } from './db';
import { ApiError, type EffectRow, type Operation, type OperationOutcome, type ReadRoute, type ServiceModule } from './http';

/** Writes an operation's effect; called in the transaction that stores the response. */
export async function recordEffect(
  tx: Queryable,
  key: string,
  op: Operation,
  effect: NonNullable<OperationOutcome['effect']>,
  response: unknown,
): Promise<void> {
  await tx.query(
    `INSERT INTO effects (key, service, operation, resource_id, request, response, compensable, state)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, 'active')`,
    [key, op.service, op.operation, effect.resourceId, JSON.stringify(effect.request), JSON.stringify(response), op.compensable],
  );
}

const undoInput = z.object({ key: z.string().min(1).max(255).describe('the Idempotency-Key of the operation to undo') });

/**
 * `POST /effects/undo {key}`: reverses the effect made under `key`. "Nothing to undo" is success
 * (`not_needed`): no effect under the key (the key is then voided, so a forward request still on its way
 * cannot land after its undo), or the effect is already undone. A forward request still running under the
 * key gets 409 (not stored; retry). An effect that cannot be undone gets 409 `not_compensable` (stored).
 */
export function createUndoOperation(operations: readonly Operation[]): Operation<z.output<typeof undoInput>> {
  const byName = new Map(operations.map((op) => [`${op.service}.${op.operation}`, op]));
  return {
    method: 'POST',
    path: '/effects/undo',
    service: 'effects',
    operation: 'undo',
    input: undoInput,
    compensable: false,
    faultKeys: (input) => [input.key],
    async perform(tx, { key: target }, undoKey) {
      if (target === undoKey) {
        throw new ApiError(400, 'invalid_request_error', 'parameter_invalid', 'the undo request needs its own Idempotency-Key, not the key it undoes', {
          param: 'key',
          stored: false,
        });
      }
      // Void the key if nothing ever used it; otherwise lock its row so a forward request finishing now
      // is either seen complete (with its effect) or still in flight, never half-way.
      const voided = await tx.query(`INSERT INTO idempotency_keys (key, state) VALUES ($1, 'voided') ON CONFLICT (key) DO NOTHING RETURNING key`, [target]);
      if (voided.length === 1) return notNeeded(tx, undoKey, target, 'no_effect');
      const [keyRow] = await tx.query<{ state: string }>(`SELECT state FROM idempotency_keys WHERE key = $1 FOR UPDATE`, [target]);
      if (keyRow?.state === 'in_flight') {
        throw new ApiError(
          409,
          'idempotency_error',
          'effect_in_flight',
          `the request with Idempotency-Key "${target}" is still running; retry the undo after it finishes`,
          {
            stored: false,
            headers: { 'Retry-After': '1' },
          },
        );
      }
      const [effect] = await tx.query<EffectRow>(`SELECT * FROM effects WHERE key = $1 FOR UPDATE`, [target]);
      if (!effect) return notNeeded(tx, undoKey, target, 'no_effect');
      if (effect.state === 'undone') return notNeeded(tx, undoKey, target, 'already_undone');
      if (!effect.compensable) {
        throw new ApiError(
          409,
          'not_compensable',
          'not_compensable',
          `the ${effect.operation} made under "${target}" (${effect.resource_id}) cannot be undone`,
        );
      }
      const op = byName.get(`${effect.service}.${effect.operation}`);
      const detail = (await op?.undo?.(tx, effect)) ?? {};
      await tx.query(`UPDATE effects SET state = 'undone', undone_at = now() WHERE key = $1`, [target]);
      await recordUndo(tx, undoKey, target, 'compensated', detail);
      return {
        status: 200,
        body: { result: 'compensated', key: target, service: effect.service, operation: effect.operation, resourceId: effect.resource_id, ...detail },
      };
    },
  };
}

async function notNeeded(tx: Queryable, undoKey: string, target: string, reason: 'no_effect' | 'already_undone'): Promise<OperationOutcome> {
  await recordUndo(tx, undoKey, target, 'not_needed', { reason });
  return { status: 200, body: { result: 'not_needed', key: target, reason } };
}

async function recordUndo(
  tx: Queryable,
  undoKey: string,
  target: string,
  result: 'compensated' | 'not_needed',
  detail: Record<string, unknown>,
): Promise<void> {
  await tx.query(`INSERT INTO undos (key, target_key, result, detail) VALUES ($1, $2, $3, $4::jsonb)`, [undoKey, target, result, JSON.stringify(detail)]);
}

const LEDGER_LIMIT = 1000;

/** `GET /ledger?prefix=`: effects whose key starts with `prefix`, and undos of them or under it. */
const ledgerRoute: ReadRoute = {
  method: 'GET',
  path: /^\/ledger$/,
  control: true,
  async handle(db, req) {
    const prefix = req.query.get('prefix') ?? '';
    const effects = await db.query<EffectRow>(`SELECT * FROM effects WHERE left(key, length($1)) = $1 ORDER BY created_at, key LIMIT ${LEDGER_LIMIT}`, [
      prefix,
    ]);
    const undos = await db.query<{ key: string; target_key: string; result: string; detail: unknown; created_at: Date }>(
      `SELECT * FROM undos WHERE left(key, length($1)) = $1 OR left(target_key, length($1)) = $1
       ORDER BY created_at, key LIMIT ${LEDGER_LIMIT}`,
      [prefix],
    );
    return {
      status: 200,
      body: {
        prefix,
        effects: effects.map((e) => ({
          key: e.key,
          service: e.service,
          operation: e.operation,
          resourceId: e.resource_id,
          state: e.state,
          compensable: e.compensable,
          request: e.request,
          createdAt: e.created_at,
          undoneAt: e.undone_at,
        })),
        undos: undos.map((u) => ({ key: u.key, targetKey: u.target_key, result: u.result, detail: u.detail, createdAt: u.created_at })),
      },
    };
  },
};

export const effectsLedger: ServiceModule = { reads: [ledgerRoute] };
