/**
 * The dev host's notion of time, used for orchestration time (`currentUtcDateTime`), durable
 * timers and timer triggers. Real: wall time. Scaled: time runs N times faster than the wall
 * (a 60-minute runbook in one minute at N=60). Manual: time moves only when a test advances it.
 * Activities and HTTP calls always run in real time.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  readonly kind: 'real' | 'scaled' | 'manual';
  now(): number;
  /** Calls `fn` once the clock reaches `at` (epoch ms); immediately (async) if already past. */
  at(at: number, fn: () => void): TimerHandle;
  /**
   * Continues from a reading an earlier run of the host persisted (see clock-keeper.ts), before any
   * timer is armed. Wall-based clocks never go back: they move forward to the reading if it is ahead.
   */
  resumeFrom?(reading: number): void;
  dispose(): void;
}

/** setTimeout cannot wait longer than 2^31-1 ms; longer waits are chained. */
const MAX_DELAY = 2 ** 31 - 1;

abstract class WallBasedClock implements Clock {
  abstract readonly kind: 'real' | 'scaled';
  private readonly handles = new Set<NodeJS.Timeout>();
  abstract now(): number;
  protected abstract realDelay(virtualDelay: number): number;

  at(at: number, fn: () => void): TimerHandle {
    let current: NodeJS.Timeout | undefined;
    let cancelled = false;
    const arm = (): void => {
      const delay = Math.max(0, this.realDelay(at - this.now()));
      current = setTimeout(
        () => {
          if (current) this.handles.delete(current);
          if (cancelled) return;
          if (this.now() < at) arm();
          else fn();
        },
        Math.min(delay, MAX_DELAY),
      );
      this.handles.add(current);
    };
    arm();
    return {
      cancel: () => {
        cancelled = true;
        if (current) {
          clearTimeout(current);
          this.handles.delete(current);
        }
      },
    };
  }

  dispose(): void {
    for (const h of this.handles) clearTimeout(h);
    this.handles.clear();
  }
}

export class RealClock extends WallBasedClock {
  readonly kind = 'real' as const;
  now(): number {
    return Date.now();
  }
  protected realDelay(virtualDelay: number): number {
    return virtualDelay;
  }
}

export class ScaledClock extends WallBasedClock {
  readonly kind = 'scaled' as const;
  private readonly wallStart = Date.now();
  constructor(
    readonly scale: number,
    private virtualStart: number = Date.now(),
  ) {
    super();
    if (!(scale > 0)) throw new Error(`The time scale must be positive, got ${scale}.`);
  }
  now(): number {
    return Math.floor(this.virtualStart + (Date.now() - this.wallStart) * this.scale);
  }
  protected realDelay(virtualDelay: number): number {
    return Math.ceil(virtualDelay / this.scale);
  }
  /** The later of the reading and this clock's time (which started at wall time). */
  resumeFrom(reading: number): void {
    const ahead = reading - this.now();
    if (ahead > 0) this.virtualStart += ahead;
  }
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  readonly kind = 'manual' as const;
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  /**
   * `onResume`: 'later' (tests that choose their start time) moves to a persisted reading only if it
   * is ahead of `start`; 'stored' (the CLI's --manual-clock, started at wall time) takes the reading
   * as it is, since manual time moves only when told to.
   */
  constructor(
    start: number | Date = Date.UTC(2026, 0, 1),
    private readonly onResume: 'later' | 'stored' = 'later',
  ) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  resumeFrom(reading: number): void {
    if (this.timers.length) throw new Error('A manual clock resumes before any timer is armed.');
    if (this.onResume === 'stored' || reading > this.current) this.current = reading;
  }

  now(): number {
    return this.current;
  }

  at(at: number, fn: () => void): TimerHandle {
    const timer: ManualTimer = { at, seq: this.seq++, fn };
    if (at <= this.current) {
      // Due already: fire on the next turn, never synchronously inside the caller.
      setImmediate(() => {
        if (this.timers.includes(timer)) {
          this.timers = this.timers.filter((t) => t !== timer);
          fn();
        }
      });
    }
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Moves time forward, firing due timers in time order (each at its own instant). */
  advance(ms: number): void {
    if (ms < 0) throw new Error('A manual clock cannot go backwards.');
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      const due = this.timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      due.fn();
    }
    this.current = Math.max(this.current, target);
  }

  /** When the next timer is due, if any (tests use it to step through a runbook). */
  nextDue(): number | undefined {
    return this.timers.reduce<number | undefined>((min, t) => (min === undefined || t.at < min ? t.at : min), undefined);
  }

  pending(): number {
    return this.timers.length;
  }

  dispose(): void {
    this.timers = [];
  }
}
