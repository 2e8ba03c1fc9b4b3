/**
 * One worker process's own cost, read from /proc: CPU time (user + system, the process and all its threads,
 * so the workflow threads and the native core too) and resident memory. Linux only, as the benchmark is.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { median, round } from './stats';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat's times (`getconf CLK_TCK`; 100 on Linux everywhere in practice). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime, in clock ticks, from the text of /proc/<pid>/stat. */
export function cpuTicksOfStat(stat: string): number {
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  if (!Number.isInteger(utime) || !Number.isInteger(stime)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return utime + stime;
}

/** VmRSS in kB from the text of /proc/<pid>/status. */
export function rssKbOfStatus(status: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error('no VmRSS line in /proc/<pid>/status');
  return Number(match[1]);
}

/** CPU milliseconds the process has used so far (utime + stime). */
export function cpuMsOf(pid: number): number {
  return (cpuTicksOfStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1000) / clockTicks();
}

/** Resident set size of the process in MB (VmRSS). */
export function rssMbOf(pid: number): number {
  return rssKbOfStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8')) / 1024;
}

export interface ProcessSample {
  /** CPU milliseconds used between start and stop. */
  cpuMs: number;
  rssStartMb: number;
  rssPeakMb: number;
  rssMedianMb: number;
  samples: number;
}

/** Samples one process's RSS every `everyMs` and its CPU time at start and stop. */
export function sampleProcess(pid: number, everyMs = 100): { stop(): ProcessSample } {
  const rss: number[] = [];
  const take = () => {
    try {
      rss.push(rssMbOf(pid));
    } catch {
      // The process is gone; the samples so far stand.
    }
  };
  const cpuAtStart = cpuMsOf(pid);
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return {
        cpuMs: round(cpuMsOf(pid) - cpuAtStart),
        rssStartMb: round(rss[0]),
        rssPeakMb: round(Math.max(...rss)),
        rssMedianMb: round(median(rss)),
        samples: rss.length,
      };
    },
  };
}

/**
 * A process's CPU by thread: the main thread (activities, the SDK's worker loop), the busiest other JS thread (the
 * workflow thread: every run's workflow code), the Temporal core's threads (named by the core: `tokio-runtime-w`,
 * `workflow-proces`...) and the rest (Node's and V8's helper threads: GC, compilation, libuv).
 */
export interface ThreadCpu {
  main: number;
  workflowThread: number;
  /** Absent from results recorded before the core's threads were told apart (then in `rest`). */
  core?: number;
  rest: number;
}

/** One reading of a process's threads: each thread's name and CPU ticks, by thread id. */
export type ThreadTicks = Map<number, { name: string; ticks: number }>;

/** CPU ticks per thread of a process (Linux), with each thread's name: the JS threads are all called `node`. */
export function threadTicksOf(pid: number): ThreadTicks {
  const threads: ThreadTicks = new Map();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`).map(Number)) {
    try {
      const name = fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      threads.set(tid, { name, ticks: cpuTicksOfStat(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** The names the Temporal core gives its threads (Linux keeps the first 15 characters). */
const CORE_THREAD = /^(tokio-runtime|workflow-proces|temporal)/;

/** Splits a process's CPU since `before` by thread, in milliseconds. */
export function threadCpuSince(pid: number, before: ThreadTicks): ThreadCpu {
  return splitThreadTicks(pid, before, threadTicksOf(pid), clockTicks());
}

/**
 * The split of {@link threadCpuSince} from two readings of a process's threads: the main thread is the one whose id
 * is the process's, the workflow thread the busiest other `node` thread, the core's threads go by their names, and
 * every other thread (Node's and V8's helpers, whatever their names) is the rest.
 */
export function splitThreadTicks(pid: number, before: ThreadTicks, now: ThreadTicks, ticksPerSecond: number): ThreadCpu {
  const split = { main: 0, workflowThread: 0, core: 0, rest: 0 };
  const jsThreads: number[] = [];
  for (const [tid, { name, ticks }] of now) {
    const ms = ((ticks - (before.get(tid)?.ticks ?? 0)) * 1000) / ticksPerSecond;
    if (tid === pid) split.main += ms;
    else if (name === 'node') jsThreads.push(ms);
    else if (CORE_THREAD.test(name)) split.core += ms;
    else split.rest += ms;
  }
  jsThreads.sort((a, b) => b - a);
  split.workflowThread = jsThreads[0] ?? 0;
  split.rest += jsThreads.slice(1).reduce((sum, ms) => sum + ms, 0);
  return split;
}

/** The machine's CPU time in clock ticks from the text of /proc/stat's first (`cpu `) line: idle (with I/O wait) and all. */
export function machineTicksOfStat(stat: string): { idle: number; total: number } {
  const line = stat.split('\n', 1)[0];
  const fields = line.split(/\s+/).slice(1).map(Number);
  if (!line.startsWith('cpu ') || fields.length < 5 || fields.some((field) => !Number.isInteger(field))) {
    throw new Error(`not a /proc/stat text: ${line.slice(0, 80)}`);
  }
  // user nice system idle iowait irq softirq steal (guest time is already counted in user and nice).
  const [user, nice, system, idle, iowait, irq = 0, softirq = 0, steal = 0] = fields;
  return { idle: idle + iowait, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

export interface Quiet {
  /** How long it took the machine to go quiet (or `maxMs`, when it did not). */
  waitedMs: number;
  /** The idle share of all CPUs over the last window, 0-1. */
  idleShare: number;
}

/**
 * Waits until the machine's CPUs were at least `idleShare` idle over one `windowMs` window, or `maxMs` passed: a
 * burst then does not start while the server is still writing the last one's histories or a worker collects its
 * garbage, and the one measured next does not pay for the one before.
 */
export async function waitForQuiet({ idleShare = 0.8, windowMs = 1000, maxMs = 20_000 } = {}): Promise<Quiet> {
  const began = performance.now();
  const read = () => machineTicksOfStat(fs.readFileSync('/proc/stat', 'utf8'));
  for (;;) {
    const before = read();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = read();
    const total = after.total - before.total;
    const share = total > 0 ? (after.idle - before.idle) / total : 1;
    const waitedMs = performance.now() - began;
    if (share >= idleShare || waitedMs >= maxMs) return { waitedMs: round(waitedMs), idleShare: round(share, 3) };
  }
}
