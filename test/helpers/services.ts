/** The demo services' test-facing endpoints: their ledger and their fault switches. */

export interface ServicesLedger {
  effects: Array<{ key: string; state: 'active' | 'undone'; operation: string; request: Record<string, unknown> }>;
  undos: Array<{ key: string; targetKey: string; result: string; createdAt: string }>;
}

/** Every effect and undo whose key starts with `prefix`. */
export async function ledgerOf(servicesUrl: string, prefix: string): Promise<ServicesLedger> {
  const response = await fetch(`${servicesUrl}/ledger?prefix=${encodeURIComponent(prefix)}`);
  return (await response.json()) as ServicesLedger;
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
