/**
 * Records, for one process, when it was waiting on something outside itself: every outgoing
 * node:http/https request (the Azure SDKs, the smoke probes) from its start until it closes, and
 * every SQL round trip (a write on a TDS socket until the next bytes come back), each filed under
 * the system its port belongs to. fetch (undici) is not seen: that is the benchmark driving the
 * dev host, not the automation waiting.
 *
 * Intervals overlap (checks run in parallel), so time is counted as their union: the wall time
 * during which at least one request of that kind was in flight.
 */
import diagnostics from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';

export interface Interval {
  system: string;
  /** What was asked (method and path), for grouping; SQL round trips are "tds". */
  what: string;
  start: number;
  end: number;
}

export class ExternalTime {
  readonly intervals: Interval[] = [];
  private readonly onRequest = (m: unknown): void => {
    const req = (m as { request: ClientRequest }).request;
    const start = performance.now();
    const port = Number(req.getHeader('host')?.toString().split(':').at(-1) ?? req.socket?.remotePort);
    const system = this.ports.get(port) ?? this.otherwise;
    // 'close' comes once the response has ended (or the request failed): the whole wait.
    req.once('close', () => this.intervals.push({ system, what: `${req.method} ${req.path}`, start, end: performance.now() }));
  };
  private readonly onSocket = (m: unknown): void => {
    const socket = (m as { socket: net.Socket }).socket;
    socket.once('connect', () => {
      const system = this.ports.get(socket.remotePort ?? 0);
      // Only SQL (TDS) speaks raw TCP here; HTTP requests are timed above.
      if (system !== 'sql') return;
      let since: number | undefined;
      const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
      socket.write = (...args: unknown[]) => {
        since ??= performance.now();
        return write(...args);
      };
      socket.on('data', () => {
        if (since === undefined) return;
        this.intervals.push({ system, what: 'tds', start: since, end: performance.now() });
        since = undefined;
      });
    });
  };

  /** `ports`: which system listens on which 127.0.0.1 port; `otherwise` names the rest. */
  constructor(
    private readonly ports: Map<number, string>,
    private readonly otherwise = 'other',
  ) {
    diagnostics.subscribe('http.client.request.start', this.onRequest);
    diagnostics.subscribe('net.client.socket', this.onSocket);
  }

  stop(): void {
    diagnostics.unsubscribe('http.client.request.start', this.onRequest);
    diagnostics.unsubscribe('net.client.socket', this.onSocket);
  }

  /** Intervals of `systems` that overlap [from, to], clipped to it. */
  within(from: number, to: number, systems: string[]): Interval[] {
    return this.intervals
      .filter((i) => systems.includes(i.system) && i.end > from && i.start < to)
      .map((i) => ({ ...i, start: Math.max(i.start, from), end: Math.min(i.end, to) }));
  }
}
