/**
 * The benchmark reads each worker process's CPU time and memory from /proc: the parsing holds for command
 * names with spaces and parentheses, and a live process's figures move the way its work does.
 */
import {
  cpuMsOf,
  cpuTicksOfStat,
  machineTicksOfStat,
  rssKbOfStatus,
  rssMbOf,
  sampleProcess,
  splitThreadTicks,
  threadCpuSince,
  threadTicksOf,
  waitForQuiet,
} from '../../bench/proc';

// Field 14 (utime) is 250 ticks and field 15 (stime) 40; the name holds ") (" to trip a naive split.
const STAT = '4242 (node worker) (x) S 1 4242 4242 0 -1 4194560 9127 0 0 0 250 40 0 0 20 0 11 0 2000 1196032000 30000';

describe('bench/proc', () => {
  it('reads utime + stime after the last parenthesis of the command name', () => {
    expect(cpuTicksOfStat(STAT)).toBe(290);
  });

  it('refuses text that is not a stat line', () => {
    expect(() => cpuTicksOfStat('4242 (node) S 1')).toThrow('not a /proc/<pid>/stat line');
  });

  it('reads VmRSS in kB, and refuses a status without it', () => {
    expect(rssKbOfStatus('Name:\tnode\nVmPeak:\t 900000 kB\nVmRSS:\t  123456 kB\nThreads:\t11\n')).toBe(123456);
    expect(() => rssKbOfStatus('Name:\tnode\n')).toThrow('no VmRSS');
  });

  it('counts the CPU this process spends between start and stop', () => {
    const sample = sampleProcess(process.pid);
    const before = cpuMsOf(process.pid);
    let spin = 0;
    while (cpuMsOf(process.pid) - before < 50) spin += 1;
    const used = sample.stop();
    expect(spin).toBeGreaterThan(0);
    expect(used.cpuMs).toBeGreaterThanOrEqual(50);
    expect(used.rssPeakMb).toBeGreaterThanOrEqual(used.rssStartMb);
    expect(rssMbOf(process.pid)).toBeGreaterThan(10);
  });

  it("splits the process's CPU by thread: a spin on the main thread lands there, and the parts add up to the whole", () => {
    const threads = threadTicksOf(process.pid);
    const before = cpuMsOf(process.pid);
    let spin = 0;
    while (cpuMsOf(process.pid) - before < 100) spin += 1;
    const split = threadCpuSince(process.pid, threads);
    const whole = cpuMsOf(process.pid) - before;
    expect(spin).toBeGreaterThan(0);
    expect(split.main).toBeGreaterThanOrEqual(60);
    for (const part of [split.workflowThread, split.core ?? 0, split.rest]) expect(part).toBeGreaterThanOrEqual(0);
    // Ticks are 10 ms: each thread's share may round down by one.
    const sum = split.main + split.workflowThread + (split.core ?? 0) + split.rest;
    expect(Math.abs(sum - whole)).toBeLessThanOrEqual(10 * threads.size + 20);
  });

  it("tells the main thread, the workflow thread, the core's threads and the helpers apart by id and name", () => {
    const thread = (name: string, ticks: number) => ({ name, ticks });
    const before = new Map([
      [100, thread('node', 50)],
      [101, thread('node', 10)],
      [102, thread('node', 0)],
      [103, thread('tokio-runtime-w', 5)],
    ]);
    const now = new Map([
      [100, thread('node', 150)], // the process's own id: the main thread
      [101, thread('node', 40)], // a V8 helper
      [102, thread('node', 80)], // the busiest other JS thread: the workflow thread
      [103, thread('tokio-runtime-w', 25)],
      [104, thread('workflow-proces', 10)], // started after the first reading
      [105, thread('libuv-worker', 7)],
    ]);
    // 100 ticks a second: one tick is 10 ms.
    expect(splitThreadTicks(100, before, now, 100)).toEqual({ main: 1000, workflowThread: 800, core: 300, rest: 370 });
  });

  it("reads the machine's idle (with I/O wait) and total ticks from /proc/stat's first line, and refuses other text", () => {
    const stat = 'cpu  100 5 50 800 20 3 2 1 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\nintr 1 2 3\n';
    expect(machineTicksOfStat(stat)).toEqual({ idle: 820, total: 981 });
    expect(machineTicksOfStat('cpu  1 0 1 8 0\n')).toEqual({ idle: 8, total: 10 });
    expect(() => machineTicksOfStat('cpu0 50 2 25 400 10\n')).toThrow('not a /proc/stat text');
    expect(() => machineTicksOfStat('cpu  1 two 3 4 5\n')).toThrow('not a /proc/stat text');
    expect(() => machineTicksOfStat('cpu  1 2 3\n')).toThrow('not a /proc/stat text');
  });

  it('waits for quiet no longer than maxMs, and reports the idle share it saw', async () => {
    // A threshold no window can meet: it gives up after maxMs, having watched at least one window.
    const gaveUp = await waitForQuiet({ idleShare: 1.5, windowMs: 50, maxMs: 120 });
    expect(gaveUp.waitedMs).toBeGreaterThanOrEqual(120);
    expect(gaveUp.idleShare).toBeGreaterThanOrEqual(0);
    expect(gaveUp.idleShare).toBeLessThanOrEqual(1);
    // A threshold every window meets: it returns after the first window, long before maxMs.
    const atOnce = await waitForQuiet({ idleShare: 0, windowMs: 50, maxMs: 10_000 });
    expect(atOnce.waitedMs).toBeGreaterThanOrEqual(45);
    expect(atOnce.waitedMs).toBeLessThan(5_000);
  });
});
