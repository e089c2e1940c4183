/**
 * local.settings.json, read the way Azure Functions Core Tools reads it: its `Values` become
 * environment variables, without overriding variables that are already set (applyLocalSettings in
 * src/app/settings.ts does that). Used by the dev host (`npm start`) and by the command-line tools,
 * so a tool sees the settings the local app runs with.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorText } from '../domain/errors.js';

/** The file's `Values` as environment strings (non-strings as JSON), and the file they came from. */
export function readLocalSettings(root: string): { file: string | undefined; values: Record<string, string> } {
  // Without a local.settings.json (a fresh clone), the committed sample makes `npm start` work;
  // Core Tools would start without settings instead.
  const own = path.join(root, 'local.settings.json');
  const sample = path.join(root, 'local.settings.sample.json');
  const file = existsSync(own) ? own : existsSync(sample) ? sample : undefined;
  if (!file) return { file: undefined, values: {} };
  let json: { Values?: Record<string, unknown> };
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${errorText(err)}`);
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(json.Values ?? {})) {
    if (value !== null && value !== undefined) values[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { file, values };
}
