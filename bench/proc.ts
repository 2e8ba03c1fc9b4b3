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
 * workflow thread: every run's workflow code) and the rest (the core's threads, GC, libuv).
 */
export interface ThreadCpu {
  main: number;
  workflowThread: number;
  rest: number;
}

/** CPU ticks per thread of a process (Linux), with each thread's name: the JS threads are all called `node`. */
export function threadTicksOf(pid: number): Map<number, { name: string; ticks: number }> {
  const threads = new Map<number, { name: string; ticks: number }>();
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

/** Splits a process's CPU since `before` by thread, in milliseconds. */
export function threadCpuSince(pid: number, before: Map<number, { name: string; ticks: number }>): ThreadCpu {
  const split: ThreadCpu = { main: 0, workflowThread: 0, rest: 0 };
  const jsThreads: number[] = [];
  for (const [tid, { name, ticks }] of threadTicksOf(pid)) {
    const ms = ((ticks - (before.get(tid)?.ticks ?? 0)) * 1000) / clockTicks();
    if (tid === pid) split.main += ms;
    else if (name === 'node') jsThreads.push(ms);
    else split.rest += ms;
  }
  jsThreads.sort((a, b) => b - a);
  split.workflowThread = jsThreads[0] ?? 0;
  split.rest += jsThreads.slice(1).reduce((sum, ms) => sum + ms, 0);
  return split;
}
