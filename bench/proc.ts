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

/** CPU milliseconds the process has used so far (utime + stime). */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  return ((utime + stime) * 1000) / clockTicks();
}

/** Resident set size of the process in MB (VmRSS). */
export function rssMbOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
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
