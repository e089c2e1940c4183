/**
 * Changing an app setting while the app runs. The app parses its settings once per process
 * (src/app/settings.ts), as in Azure, where a settings change restarts the worker; a test that
 * changes one between cases sets it here, which also drops the parsed settings (the reset seam,
 * `resetAppSettings`), so the next request sees the change. A host started afterwards reads the
 * environment anew by itself.
 */
import { resetAppSettings } from '../../src/app/settings.js';

/** Sets (a string) or removes (undefined) each setting, and returns what was there before. */
export function setAppEnv(changes: Record<string, string | undefined>): Record<string, string | undefined> {
  const before: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(changes)) {
    before[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetAppSettings();
  return before;
}
