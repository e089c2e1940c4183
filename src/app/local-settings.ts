/**
 * local.settings.json, read the way Azure Functions Core Tools reads it: its `Values` become
 * environment variables, without overriding variables that are already set. Used by the dev host
 * (`npm start`) and by the command-line tools, so a tool sees the settings the local app runs with.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorText } from '../domain/errors.js';

/**
 * Copies local.settings.json `Values` into the environment without overriding variables that are
 * already set (Core Tools does the same), and returns the file used and the names it set.
 */
export function applyLocalSettings(root: string, env: NodeJS.ProcessEnv = process.env): { file: string | undefined; applied: string[] } {
  // Without a local.settings.json (a fresh clone), the committed sample makes `npm start` work;
  // Core Tools would start without settings instead.
  const own = path.join(root, 'local.settings.json');
  const sample = path.join(root, 'local.settings.sample.json');
  const file = existsSync(own) ? own : existsSync(sample) ? sample : undefined;
  if (!file) return { file: undefined, applied: [] };
  let json: { Values?: Record<string, unknown> };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${errorText(err)}`);
  }
  const applied: string[] = [];
  for (const [key, value] of Object.entries(json.Values ?? {})) {
    if (env[key] === undefined && value !== null && value !== undefined) {
      env[key] = typeof value === 'string' ? value : JSON.stringify(value);
      applied.push(key);
    }
  }
  return { file, applied };
}
