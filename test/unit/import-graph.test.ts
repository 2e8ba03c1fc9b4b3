/**
 * The import graph of src/: no cycle anywhere (type-only imports count: they tie files together as much for a
 * reader), and the sandbox layers import only downward: shared ← policies ← tools ← workflows. The graph is
 * madge's; the cases under a temporary folder prove the checks catch what they guard against.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import madge from 'madge';

jest.setTimeout(60_000);

const ROOT = path.resolve(__dirname, '../..');

/** The sandbox layers, lowest first: a file may import from its own layer or one below it. */
const LAYERS = ['shared', 'policies', 'tools', 'workflows'] as const;

interface Graph {
  cycles: string[][];
  /** `from → to` for every import from a layer into a layer above it. */
  upward: string[];
}

async function importGraph(dir: string): Promise<Graph> {
  const result = await madge(dir, {
    fileExtensions: ['ts'],
    tsConfig: path.join(ROOT, 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
  const layerOf = (file: string) => LAYERS.indexOf(file.split('/')[0] as (typeof LAYERS)[number]);
  const upward = Object.entries(result.obj()).flatMap(([from, imports]) =>
    imports.filter((to) => layerOf(from) >= 0 && layerOf(to) > layerOf(from)).map((to) => `${from} → ${to}`),
  );
  return { cycles: result.circular(), upward };
}

describe('the import graph of src/', () => {
  it('has no cycle and no upward import between the sandbox layers', async () => {
    const graph = await importGraph(path.join(ROOT, 'src'));
    expect(graph.cycles).toEqual([]);
    expect(graph.upward).toEqual([]);
  });
});

describe('the checks themselves', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'sagent-imports-'));
    for (const layer of ['shared', 'policies']) mkdirSync(path.join(dir, layer));
    // A type-only cycle, and a policy that a shared file reaches up into.
    writeFileSync(path.join(dir, 'shared/a.ts'), "import type { B } from '../policies/b';\nexport type A = { b: B };\n");
    writeFileSync(path.join(dir, 'policies/b.ts'), "import type { A } from '../shared/a';\nexport type B = { a?: A };\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a cycle of type-only imports, and the upward import in it', async () => {
    const graph = await importGraph(dir);
    expect(graph.cycles.map((cycle) => [...cycle].sort())).toEqual([['policies/b.ts', 'shared/a.ts']]);
    expect(graph.upward).toEqual(['shared/a.ts → policies/b.ts']);
  });
});
