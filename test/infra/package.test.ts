/**
 * `npm run package` (tools/package.ts): the zip holds the built app, production dependencies only,
 * host.json, package.json and the policy; unpacked into an empty folder, it loads through its
 * package.json `main` glob in a fresh Node process (the dev host's loader, as the cold-import
 * probe uses it) and registers every function the app has.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, type PackageResult } from '../../tools/package.js';
import { coldImport, lazySdksIn } from '../harness/cold-import.js';
import { readJson, repoRoot } from '../harness/bicep.js';

/** Each central directory entry's name, "version made by" host system and Unix mode. */
function zipEntries(zip: Buffer): { name: string; os: number; mode: number }[] {
  const out: { name: string; os: number; mode: number }[] = [];
  let i = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(i + 10);
  i = zip.readUInt32LE(i + 16);
  for (let n = 0; n < count; n++) {
    expect(zip.readUInt32LE(i)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(i + 28);
    const extra = zip.readUInt16LE(i + 30);
    const comment = zip.readUInt16LE(i + 32);
    out.push({ name: zip.subarray(i + 46, i + 46 + nameLength).toString('utf8'), os: zip.readUInt8(i + 5), mode: zip.readUInt32LE(i + 38) >>> 16 });
    i += 46 + nameLength + extra + comment;
  }
  return out;
}

describe('npm run package and the deploy zip', () => {
  let pkg: PackageResult;
  let unpacked: string;
  let zip: Buffer;
  beforeAll(() => {
    const out = mkdtempSync(path.join(tmpdir(), 'package-'));
    // npm test has just built dist/.
    pkg = buildPackage({ policy: 'policy.sample.json', outDir: out, build: false, log: () => {} });
    zip = readFileSync(pkg.zipFile);
    unpacked = mkdtempSync(path.join(tmpdir(), 'unpacked-'));
    for (const [name, data] of Object.entries(unzipSync(zip))) {
      if (name.endsWith('/')) continue;
      mkdirSync(path.dirname(path.join(unpacked, name)), { recursive: true });
      writeFileSync(path.join(unpacked, name), data);
    }
  }, 240_000);

  it('holds the built app, host.json, package.json and the policy, with Unix permissions', () => {
    const entries = zipEntries(zip);
    const names = new Set(entries.map((e) => e.name));
    for (const f of ['host.json', 'package.json', 'policy.json', 'dist/functions/alerts.js', 'dist/orchestrations/incident.js', 'node_modules/durable-functions/package.json']) expect(names, f).toContain(f);
    expect(readFileSync(path.join(unpacked, 'policy.json'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'policy.sample.json'), 'utf8'));
    expect(readFileSync(path.join(unpacked, 'host.json'), 'utf8')).toBe(readFileSync(path.join(repoRoot, 'host.json'), 'utf8'));
    expect([...names].filter((n) => /(^|\/)(src|test)\/.*\.ts$|local\.settings|\.tsbuildinfo$|^\.(funcignore|zipignore)$/.test(n) && !n.startsWith('node_modules/'))).toEqual([]);
    expect(entries.filter((e) => e.os !== 3 || (e.mode & 0o170000) !== 0o100000 || (e.mode & 0o444) !== 0o444).map((e) => e.name)).toEqual([]);
  });

  it('carries production dependencies only', () => {
    const lock = readJson<{ packages: Record<string, { dev?: boolean; optional?: boolean }> }>('package-lock.json').packages;
    const shipped = new Set([...zipEntries(zip)].map((e) => /^(node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(e.name)?.[1]).filter(Boolean));
    const devOnly = Object.entries(lock).filter(([k, v]) => k.startsWith('node_modules/') && !k.slice(13).includes('node_modules/') && v.dev === true).map(([k]) => k);
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/typescript', 'node_modules/vitest', 'node_modules/azurite']));
    expect(devOnly.filter((k) => shipped.has(k))).toEqual([]);
    const prod = Object.keys(readJson<{ dependencies: Record<string, string> }>('package.json').dependencies);
    for (const name of prod) expect(shipped, name).toContain(`node_modules/${name}`);
  });

  it('loads from the unpacked zip through the main glob in a fresh process and registers every function', async () => {
    const fromZip = await coldImport('app', unpacked);
    const fromRepo = await coldImport('app');
    expect(fromZip.functions).toBeGreaterThan(20);
    expect(fromZip.functions).toBe(fromRepo.functions);
    expect(lazySdksIn(fromZip.packages)).toEqual([]);
  });

  it('every module the app loads on first use (activity handlers and contracts, orchestrators, app wiring, adapters and their SDKs) loads from the zip', () => {
    // Registration loads none of these (see cold-import.test.ts), so a module missing from the
    // package or one of its production dependencies would pass the test above and fail only at
    // the first activity of an incident. Each is imported in a fresh process inside the unpacked zip.
    const script = `
      import { readdirSync } from 'node:fs';
      import path from 'node:path';
      import { pathToFileURL } from 'node:url';
      const dirs = ['dist/orchestrations', 'dist/src/activities', 'dist/src/app', 'dist/src/adapters', 'dist/src/config', 'dist/src/ports', 'dist/src/http'];
      const files = dirs.flatMap((d) => readdirSync(d, { recursive: true }).filter((f) => String(f).endsWith('.js')).map((f) => path.join(d, String(f))));
      const failed = [];
      for (const f of files) {
        try { await import(pathToFileURL(path.resolve(f)).href); } catch (err) { failed.push(f + ': ' + (err && err.message ? err.message : String(err))); }
      }
      process.stdout.write(JSON.stringify({ loaded: files.length, failed }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: unpacked, encoding: 'utf8', timeout: 120_000 })) as { loaded: number; failed: string[] };
    expect(out.failed).toEqual([]);
    expect(out.loaded).toBeGreaterThan(80);
  }, 150_000);
});
