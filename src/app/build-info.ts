/** The running build: package version and the deployed commit (APP_COMMIT, set by the pipeline). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

let version: string | undefined;

export function appVersion(): string {
  if (version === undefined) {
    try {
      // dist/src/app/build-info.js -> package.json at the app root
      const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
      version = pkg.version ?? 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}

export function appCommit(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.APP_COMMIT?.trim() || undefined;
}
