/** Runs test/bench/load-driver.ts in a child process (same loader as this one) and reads its result. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DriverResult, DriverSpec } from './load-driver.js';
import { round } from './stats.js';

const DRIVER = path.join(__dirname, 'load-driver.ts');

/**
 * How busy this process (the dev host under test runs in it) was while the driver ran: the share
 * of the time its event loop was running code rather than waiting (Node's event loop
 * utilization), and the CPU it used. An answer can only be as fast as the event loop that makes
 * it: at a utilization near 1, requests wait in line behind each other and behind the
 * orchestration work they caused, whatever each one costs alone.
 */
export interface HostLoad {
  eventLoopBusy: number;
  cpuMs: number;
}

export function drive(spec: DriverSpec): Promise<DriverResult & { host: HostLoad }> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-driver-')), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  const load = hostLoad();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, DRIVER, file], { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`load driver failed: ${stderr || err.message}`));
      resolve({ ...(JSON.parse(stdout) as DriverResult), host: load() });
    });
  });
}

/** Starts measuring this process's load; the function returned reads it since then. */
export function hostLoad(): () => HostLoad {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { eventLoopBusy: round(performance.eventLoopUtilization(elu).utilization), cpuMs: round((used.user + used.system) / 1000) };
  };
}
