/** The running build: package version and the deployed commit (APP_COMMIT, set by the pipeline). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { appSettings, type AppSettings } from './settings.js';

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

export function appCommit(settings: AppSettings = appSettings()): string | undefined {
  return settings.commit;
}
