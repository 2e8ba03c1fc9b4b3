/**
 * The benchmark reads each worker process's CPU time and memory from /proc: the parsing holds for command
 * names with spaces and parentheses, and a live process's figures move the way its work does.
 */
import { cpuMsOf, cpuTicksOfStat, rssKbOfStatus, rssMbOf, sampleProcess } from '../../bench/proc';

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
});
