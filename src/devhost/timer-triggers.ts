/**
 * Timer triggers on their NCRONTAB schedules (six fields, seconds first, UTC like the Linux
 * Functions host) or TimeSpan intervals ("00:05:00"). The schedule status (last/next) is kept in
 * the task hub's table, so an occurrence missed while the host was down fires at start-up with
 * `isPastDue: true`, as in Azure. `runOnStartup` fires once at start.
 */
import { Cron } from 'croner';
import { parseTimeSpan, resolveAppSetting } from './app-loader.js';
import type { Clock, TimerHandle } from './clock.js';
import { triggerOf, type Registration } from './core-api.js';
import type { HubStore } from './durable/store.js';
import type { Invoker } from './invoker.js';
import type { Logger } from './logger.js';
import { errorText } from '../domain/errors.js';

export interface Schedule {
  next(after: number): number | undefined;
  describe: string;
}

export function parseSchedule(raw: string): Schedule {
  const value = resolveAppSetting(raw).trim();
  const interval = parseTimeSpan(value);
  if (interval !== undefined) {
    if (interval <= 0) throw new Error(`The timer interval "${value}" must be positive.`);
    return { next: (after) => after + interval, describe: `every ${value}` };
  }
  const fields = value.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `The schedule "${value}" has ${fields.length} fields; NCRONTAB needs 6: {second} {minute} {hour} {day} {month} {day-of-week}.`,
    );
  }
  const cron = new Cron(value, { paused: true, timezone: 'UTC', mode: '6-part' });
  return { next: (after) => cron.nextRun(new Date(after))?.getTime(), describe: value };
}

interface Scheduled {
  reg: Registration;
  schedule: Schedule;
  handle: TimerHandle | undefined;
  running: boolean;
}

export class TimerTriggers {
  private readonly timers = new Map<string, Scheduled>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly regs: Registration[],
    private readonly invoker: Invoker,
    private readonly clock: Clock,
    private readonly store: HubStore | undefined,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    for (const reg of this.regs) {
      const trigger = triggerOf(reg.metadata);
      const scheduleText = typeof trigger?.schedule === 'string' ? trigger.schedule : '';
      const schedule = parseSchedule(scheduleText);
      const item: Scheduled = { reg, schedule, handle: undefined, running: false };
      this.timers.set(reg.metadata.name, item);
      const now = this.clock.now();
      const status = await this.store?.getMeta(`timer-${reg.metadata.name}`).catch(() => undefined);
      const storedNext = typeof status?.next === 'number' ? status.next : undefined;
      if (trigger?.runOnStartup === true || (storedNext !== undefined && storedNext < now)) {
        void this.track(this.fire(item, storedNext !== undefined && storedNext < now));
      } else {
        this.arm(item, now);
      }
      this.logger.info('Host.Timers', `${reg.metadata.name}: ${schedule.describe}`);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) t.handle?.cancel();
  }

  /** Invokes a timer function now, as Core Tools' admin endpoint does. */
  runNow(name: string): Promise<void> | undefined {
    const item = [...this.timers.values()].find((t) => t.reg.metadata.name.toLowerCase() === name.toLowerCase());
    return item ? this.fire(item, false) : undefined;
  }

  private arm(item: Scheduled, from: number): void {
    if (this.stopped) return;
    const next = item.schedule.next(from);
    if (next === undefined) return;
    void this.store?.putMeta(`timer-${item.reg.metadata.name}`, { next, last: from }).catch(() => undefined);
    item.handle = this.clock.at(next, () => void this.track(this.fire(item, false, next)));
  }

  private track(run: Promise<void>): Promise<void> {
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
    return run;
  }

  /** Whether a timer function is running now. */
  busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Resolves once the timer functions running now have finished (their failures are logged, never thrown). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private async fire(item: Scheduled, isPastDue: boolean, scheduledAt?: number): Promise<void> {
    const now = this.clock.now();
    if (item.running) {
      // Azure never runs two invocations of one timer function at once; skip and re-arm.
      this.arm(item, now);
      return;
    }
    item.running = true;
    const next = item.schedule.next(now);
    const data = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: new Date(scheduledAt ?? now).toISOString(),
        Next: next === undefined ? null : new Date(next).toISOString(),
        LastUpdated: new Date(now).toISOString(),
      },
      IsPastDue: isPastDue,
    };
    try {
      await this.invoker.invoke(item.reg, { trigger: { string: JSON.stringify(data) } });
    } catch (err) {
      this.logger.error(`Function.${item.reg.metadata.name}`, `Timer function failed: ${errorText(err)}`);
    } finally {
      item.running = false;
      this.arm(item, Math.max(now, this.clock.now()));
    }
  }
}
