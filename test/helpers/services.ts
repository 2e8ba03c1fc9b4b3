/** The demo services' test-facing endpoints: their ledger and their fault switches. Every test reads the ledger here. */

/** One side effect as the services recorded it under its Idempotency-Key. */
export interface ServicesEffect {
  key: string;
  state: 'active' | 'undone';
  operation: string;
  resourceId: string | null;
  request: Record<string, unknown>;
}

/** The services' ledger: the effects, and the undos in the order the services saw them. */
export interface ServicesLedger {
  effects: ServicesEffect[];
  undos: Array<{ key: string; targetKey: string; result: string; createdAt: string }>;
}

/** Every effect and undo whose key starts with `prefix`; throws when the services do not answer. */
export async function ledgerOf(servicesUrl: string, prefix: string): Promise<ServicesLedger> {
  const response = await fetch(`${servicesUrl}/ledger?prefix=${encodeURIComponent(prefix)}`);
  if (response.status !== 200) throw new Error(`the services' ledger answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as ServicesLedger;
}

/** One run's effects and undos: its keys are `<workflowId>/effect-<seq>` (and the undos' under them). */
export function runLedger(servicesUrl: string, run: string | { workflowId: string }): Promise<ServicesLedger> {
  return ledgerOf(servicesUrl, `${typeof run === 'string' ? run : run.workflowId}/`);
}

/** One run's effects, in the order they landed. */
export async function runEffects(servicesUrl: string, run: string | { workflowId: string }): Promise<ServicesEffect[]> {
  return (await runLedger(servicesUrl, run)).effects;
}

/** Installs one fault rule; returns its id. */
export async function addFault(servicesUrl: string, rule: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${servicesUrl}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
  if (response.status !== 201) throw new Error(`the services refused the fault rule: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { faults: Array<{ id: number }> }).faults[0].id;
}

/** How many times a fault rule has fired. */
export async function faultFired(servicesUrl: string, id: number): Promise<number> {
  const response = await fetch(`${servicesUrl}/_faults`);
  const { faults } = (await response.json()) as { faults: Array<{ id: number; fired: number }> };
  return faults.find((fault) => fault.id === id)?.fired ?? 0;
}

/** Polls until `check` holds. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
