/** Runs test/bench/load-driver.ts in a child process (same loader as this one) and reads its result. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DriverResult, DriverSpec } from './load-driver.js';

const DRIVER = path.join(__dirname, 'load-driver.ts');

export function drive(spec: DriverSpec): Promise<DriverResult> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'bench-driver-')), 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, DRIVER, file], { maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`load driver failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout) as DriverResult);
    });
  });
}
