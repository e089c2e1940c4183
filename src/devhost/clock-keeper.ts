/**
 * Keeps a scaled or manual clock's reading in the task hub, so that a restarted host continues
 * orchestration time from where it had got to instead of from wall time. Time must not go back:
 * orchestrators compare currentUtcDateTime across episodes, and timer triggers detect a missed
 * occurrence by comparing the stored next run with the clock.
 */
import { ScaledClock, type Clock } from './clock.js';
import type { HubStore } from './durable/store.js';
import type { Logger } from './logger.js';
import { errorText } from '../domain/errors.js';

const ROW = 'clock';
/** Wall time between writes. */
const INTERVAL_MS = 1000;

export class ClockKeeper {
  private timer: NodeJS.Timeout | undefined;
  private saved: number | undefined;
  private writing: Promise<void> | undefined;
  private failing = false;

  private constructor(
    private readonly clock: Clock,
    private readonly store: HubStore,
    private readonly logger: Logger,
  ) {}

  /** Moves the clock to the persisted reading (see Clock.resumeFrom) and starts keeping it; none for a real clock. */
  static async resume(clock: Clock, store: HubStore, logger: Logger): Promise<ClockKeeper | undefined> {
    if (clock.kind === 'real' || !clock.resumeFrom) return undefined;
    const row = await store.getMeta(ROW);
    const reading = typeof row?.now === 'number' ? row.now : undefined;
    if (reading !== undefined) {
      clock.resumeFrom(reading);
      logger.info('Host', `The ${clock.kind} clock continues at ${new Date(clock.now()).toISOString()} (last run reached ${new Date(reading).toISOString()}).`);
    }
    const keeper = new ClockKeeper(clock, store, logger);
    await keeper.save();
    keeper.timer = setInterval(() => void keeper.save(), INTERVAL_MS);
    keeper.timer.unref();
    return keeper;
  }

  /**
   * Writes the clock's reading. A scaled clock runs on between writes, so it writes the reading it
   * will have reached by the next one: after a kill the clock resumes a little ahead, never behind.
   */
  save(exact = false): Promise<void> {
    // A write under way carries an older reading: an exact save (the clock was just moved) waits
    // for it and writes its own; the periodic one skips, so slow writes never queue up.
    if (this.writing) return exact ? this.writing.then(() => this.save(exact)) : this.writing;
    const lead = !exact && this.clock instanceof ScaledClock ? INTERVAL_MS * this.clock.scale : 0;
    const reading = Math.ceil(this.clock.now() + lead);
    if (reading === this.saved) return Promise.resolve();
    this.writing = this.store
      .putMeta(ROW, { now: reading })
      .then(
        () => {
          this.saved = reading;
          this.failing = false;
        },
        (err: unknown) => {
          if (!this.failing) this.logger.warn('Host', `Could not store the clock's reading: ${errorText(err)}`);
          this.failing = true;
        },
      )
      .finally(() => (this.writing = undefined));
    return this.writing;
  }

  /** Stops the periodic writes and stores the final reading. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
    await this.save(true);
  }
}
