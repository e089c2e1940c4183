/**
 * One naming convention for activities: `<capability>_<verbObject>`, the capability being the
 * contracts file's name in camelCase (app-service.contracts.ts -> appService_apiToLkg).
 *
 * The names that predate the convention keep their names: an activity's name is in every
 * in-flight incident's history, and the Durable extension's replay check (DurableTask.Core, as the
 * dev host's src/devhost/durable/episode.ts models it) compares the name scheduled at each
 * sequence number with the one recorded, case-insensitively; queued activity messages are
 * dispatched by that name too. Renaming them would need the old names registered as aliases and
 * the orchestrator to choose the name by the instance's version, for a consistency nobody using
 * the product sees (README "Where to make a change"). The list below is closed: it may shrink,
 * never grow.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const LEGACY = ['signalsRead', 'smokeRunCheck', 'sqlReadCurrentValues', 'sqlReadRecentChanges', 'sqlSetConfigValue', 'sqlSetFlag', 'teamsNotify', 'teamsPostMessage', 'teamsReplyMessage'];

const dir = path.join(__dirname, '..', '..', 'src', 'activities');
const camel = (file: string) => file.replace(/\.contracts\.ts$/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function isActivityDef(v: unknown): v is { name: string } {
  const d = v as { name?: unknown; input?: { safeParse?: unknown }; output?: { safeParse?: unknown } } | null;
  return typeof d?.name === 'string' && typeof d.input?.safeParse === 'function' && typeof d.output?.safeParse === 'function';
}

async function activities(): Promise<{ file: string; name: string }[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.contracts.ts'));
  const found: { file: string; name: string }[] = [];
  for (const file of files) {
    const mod = (await import(path.join(dir, file))) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isActivityDef(v)) found.push({ file, name: v.name });
  }
  return found;
}

describe('activity names', () => {
  it('are <capability>_<verbObject>, the capability being the contracts file (or one of the closed list of older names)', async () => {
    const all = await activities();
    expect(all.length).toBeGreaterThan(20);
    const off = all.filter(({ file, name }) => !new RegExp(`^${camel(file)}_[a-z][A-Za-z0-9]*$`).test(name) && !LEGACY.includes(name));
    expect(off).toEqual([]);
  });

  it('the older names are all still in use (the list only shrinks), and no two activities share a name, whatever the case', async () => {
    const names = (await activities()).map((a) => a.name);
    expect(LEGACY.filter((n) => !names.includes(n))).toEqual([]);
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });

  it('the check refuses a name off the convention', () => {
    expect(new RegExp(`^${camel('app-service.contracts.ts')}_[a-z][A-Za-z0-9]*$`).test('appServiceSwap')).toBe(false);
    expect(new RegExp(`^${camel('app-service.contracts.ts')}_[a-z][A-Za-z0-9]*$`).test('appService_swap')).toBe(true);
  });
});
