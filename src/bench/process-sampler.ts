import { readFileSync } from 'node:fs';

/** Linux reports CPU times in clock ticks; 100 per second on every kernel config we run on. */
const CLOCK_TICKS_PER_SEC = 100;

export interface ProcessFigures {
  /** CPU used in the window (own + waited-for children, e.g. eSpeak NG runs), % of one core. */
  cpuPercent: number;
  /** Resident memory at the window's start and its peak inside it. */
  startRssMb: number;
  peakRssMb: number;
}

interface Sample {
  cpuTicks: number;
  rssKb: number;
}

function readSample(pid: number): Sample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuTicks: utime! + stime! + cutime! + cstime!, rssKb: rss ? Number(rss[1]) : 0 };
  } catch {
    return null; // the process is gone
  }
}

/**
 * Samples CPU time and resident memory of named processes from /proc every `intervalMs`, so a
 * benchmark can report them per process for each measured window.
 */
export class ProcessSampler {
  private timer: NodeJS.Timeout | null = null;
  private windows: { start: Map<string, Sample>; startedAt: number; peakKb: Map<string, number> }[] = [];

  constructor(
    private readonly processes: Map<string, number>,
    private readonly intervalMs = 250,
  ) {}

  track(name: string, pid: number): void {
    this.processes.set(name, pid);
  }

  untrack(name: string): void {
    this.processes.delete(name);
  }

  start(): void {
    this.timer ??= setInterval(() => this.sample(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Resident memory of a tracked process now. */
  rssMb(name: string): number | null {
    const pid = this.processes.get(name);
    const sample = pid === undefined ? null : readSample(pid);
    return sample ? round1(sample.rssKb / 1024) : null;
  }

  /** Opens a window; the returned function closes it and gives the figures per process. */
  openWindow(): () => Record<string, ProcessFigures> {
    const window = { start: new Map<string, Sample>(), startedAt: performance.now(), peakKb: new Map<string, number>() };
    for (const [name, pid] of this.processes) {
      const sample = readSample(pid);
      if (sample) {
        window.start.set(name, sample);
        window.peakKb.set(name, sample.rssKb);
      }
    }
    this.windows.push(window);
    return () => {
      this.sample();
      this.windows.splice(this.windows.indexOf(window), 1);
      const seconds = (performance.now() - window.startedAt) / 1000;
      const figures: Record<string, ProcessFigures> = {};
      for (const [name, pid] of this.processes) {
        const start = window.start.get(name);
        const end = readSample(pid);
        if (!start || !end) continue;
        figures[name] = {
          cpuPercent: round1(((end.cpuTicks - start.cpuTicks) / CLOCK_TICKS_PER_SEC / seconds) * 100),
          startRssMb: round1(start.rssKb / 1024),
          peakRssMb: round1((window.peakKb.get(name) ?? end.rssKb) / 1024),
        };
      }
      return figures;
    };
  }

  private sample(): void {
    for (const [name, pid] of this.processes) {
      const sample = readSample(pid);
      if (!sample) continue;
      for (const window of this.windows) window.peakKb.set(name, Math.max(window.peakKb.get(name) ?? 0, sample.rssKb));
    }
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10;
