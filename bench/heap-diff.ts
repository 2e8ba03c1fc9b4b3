/**
 * What N waiting runs added to a thread's JS heap: two heap snapshots of the same thread (`bench/heap-snapshots.ts`,
 * taken by `BENCH_HEAP_SNAPSHOT_DIR=<dir> npx tsx bench/fleet.ts`: idle, then with the runs waiting), compared by
 * object kind (node type and constructor or function name), divided by N. Also prints the SDK's stack store: the pending promises
 * of workflow code it keeps a stack for. Prints figures, asserts nothing.
 *
 * ```
 * npx tsx bench/heap-diff.ts <idle.heapsnapshot> <waiting.heapsnapshot> <N> [rows]
 * ```
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

interface Kind {
  count: number;
  bytes: number;
}

/** Object kinds of a heap snapshot: count and self size by `type:name` (closures and promises by type alone). */
function kindsOf(file: string): { kinds: Map<string, Kind>; total: number } {
  const { snapshot, nodes, strings } = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snapshot.meta.node_fields;
  const types = snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf('type'), fields.indexOf('name'), fields.indexOf('self_size')];
  const kinds = new Map<string, Kind>();
  let total = 0;
  for (let at = 0; at < nodes.length; at += width) {
    const type = types[nodes[at + typeAt]];
    const name = strings[nodes[at + nameAt]];
    // Strings and code are named by their content: group them by type (the SDK's stack texts apart); closures by name.
    const stackText = type.endsWith('string') && name.includes('    at ');
    const key = type === 'object' || type === 'native' || type === 'closure' ? `${type}:${name.slice(0, 60)}` : stackText ? `${type} (stack)` : type;
    const size = nodes[at + sizeAt];
    const kind = kinds.get(key) ?? { count: 0, bytes: 0 };
    kind.count += 1;
    kind.bytes += size;
    kinds.set(key, kind);
    total += size;
  }
  return { kinds, total };
}

function run(): void {
  const [idleFile, waitingFile, runsText, rowsText] = process.argv.slice(2);
  const runs = Number(runsText);
  if (!idleFile || !waitingFile || !Number.isInteger(runs) || runs < 1) {
    throw new Error('usage: npx tsx bench/heap-diff.ts <idle.heapsnapshot> <waiting.heapsnapshot> <N waiting runs> [rows]');
  }
  const idle = kindsOf(idleFile);
  const waiting = kindsOf(waitingFile);
  const rows = [...waiting.kinds]
    .map(([key, kind]) => {
      const before = idle.kinds.get(key) ?? { count: 0, bytes: 0 };
      return { key, count: (kind.count - before.count) / runs, bytes: (kind.bytes - before.bytes) / runs };
    })
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, Number(rowsText ?? 25));
  const kb = (bytes: number) => (bytes / 1024).toFixed(2);
  console.log(`JS heap per waiting run: ${kb((waiting.total - idle.total) / runs)} KB (${kb(idle.total)} → ${kb(waiting.total)} KB, ÷ ${runs})`);
  const promises = (waiting.kinds.get('object:Promise')?.count ?? 0) - (idle.kinds.get('object:Promise')?.count ?? 0);
  console.log(`promises per waiting run: ${(promises / runs).toFixed(1)}`);
  const stacks = (kinds: Map<string, Kind>) => kinds.get('string (stack)') ?? { count: 0, bytes: 0 };
  const [stacksBefore, stacksAfter] = [stacks(idle.kinds), stacks(waiting.kinds)];
  console.log(
    `stack texts per waiting run (one per pending promise the SDK keeps a stack for): ${((stacksAfter.count - stacksBefore.count) / runs).toFixed(1)}, ${kb((stacksAfter.bytes - stacksBefore.bytes) / runs)} KB`,
  );
  console.log('per waiting run        count      bytes');
  for (const { key, count, bytes } of rows) console.log(`${key.padEnd(60)} ${count.toFixed(1).padStart(8)} ${bytes.toFixed(0).padStart(10)}`);
}

run();
