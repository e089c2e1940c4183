/**
 * Who runs the task hub: each host writes a heartbeat row into the hub's table while it runs, and
 * at start warns when another host's heartbeat is fresh. Two hosts on one task hub would both run
 * its orchestrations (timers firing twice, steps racing), which the dev host does not support; the
 * usual cause is a second `npm start` on the same storage, or a test run pointed at it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { HubStore } from './durable/store.js';
import type { Logger } from './logger.js';

const ROW = 'host';
/** Wall time between heartbeats, and how old one may be and still mean "running". */
const BEAT_MS = 5_000;
const FRESH_MS = 3 * BEAT_MS;

export interface OtherHost {
  pid: number;
  host: string;
  url: string;
  seenMsAgo: number;
}

export class HubLease {
  private timer: NodeJS.Timeout | undefined;
  private readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

  private constructor(
    private readonly store: HubStore,
    private readonly url: string,
  ) {}

  /** Another host that beat recently, if any (read before this host writes its own heartbeat). */
  static async other(store: HubStore, now = Date.now()): Promise<OtherHost | undefined> {
    const row = await store.getMeta(ROW).catch(() => undefined);
    const beat = typeof row?.heartbeat === 'number' ? row.heartbeat : 0;
    if (!row || now - beat > FRESH_MS) return undefined;
    // A host on this machine that is gone (killed a moment ago) holds nothing, however fresh its beat.
    if (row.hostname === hostname() && !alive(Number(row.pid ?? 0))) return undefined;
    const text = (v: unknown): string => (typeof v === 'string' ? v : '?');
    return { pid: Number(row.pid ?? 0), host: text(row.hostname), url: text(row.url), seenMsAgo: Math.max(0, now - beat) };
  }

  static async begin(store: HubStore, url: string, logger: Logger): Promise<HubLease> {
    const other = await HubLease.other(store);
    if (other) {
      logger.warn(
        'Host',
        `Another host uses task hub ${store.hubName}: pid ${other.pid} on ${other.host} (${other.url}), seen ${Math.round(other.seenMsAgo / 1000)} s ago. ` +
          'Two hosts on one task hub both run its orchestrations (timers fire twice, steps race): stop the other one, or give this one another TaskHubName.',
      );
    }
    const lease = new HubLease(store, url);
    await lease.beat();
    lease.timer = setInterval(() => void lease.beat(), BEAT_MS);
    lease.timer.unref();
    return lease;
  }

  private beat(): Promise<void> {
    return this.store.putMeta(ROW, { owner: this.owner, pid: process.pid, hostname: hostname(), url: this.url, heartbeat: Date.now() }).catch(() => undefined);
  }

  /** Stops beating and marks the hub free (a killed host's heartbeat simply goes stale). */
  async end(): Promise<void> {
    clearInterval(this.timer);
    await this.store.putMeta(ROW, { owner: '', heartbeat: 0 }).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
