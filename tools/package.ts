/**
 * `npm run package`: the deployable app in .deploy/app and its zip, .deploy/app.zip:
 *   dist/ (built), host.json, package.json (+ lock), node_modules with production dependencies only
 *   (npm ci --omit=dev from the lockfile), and policy.json: the policy named by --policy <file> or
 *   POLICY_FILE, checked by policy:check first (a package never ships a policy the app refuses).
 * azd runs this script as the service's package step and deploys .deploy/app (azure.yaml `dist`);
 * the zip is for `az functionapp deployment source config-zip`. Unix permissions are kept in the
 * zip (Flex Consumption mounts the package rather than extracting it).
 *
 *   npm run package -- --policy my-policy.json [--out .deploy]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { zipSync, type Zippable } from 'fflate';

const root = path.resolve(import.meta.dirname, '..');

export interface PackageResult {
  appDir: string;
  zipFile: string;
  files: number;
  bytes: number;
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string, log: (l: string) => void): void {
  log(`$ ${cmd} ${args.join(' ')}${cwd === root ? '' : `  (in ${path.relative(root, cwd) || '.'})`}`);
  // NODE_ENV=production (azd sets it for this step) must not stop the build or the policy check.
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: undefined } });
}

/** Files under `dir` with their Unix modes, as fflate wants them (paths with /). */
function collect(dir: string, base = dir, out: Zippable = {}): Zippable {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    const rel = path.relative(base, p).split(path.sep).join('/');
    if (e.isDirectory()) collect(p, base, out);
    // Unix file type and permission bits in the high 16 bits of the external attributes (os 3 = Unix).
    else if (e.isFile()) out[rel] = [readFileSync(p), { os: 3, attrs: ((statSync(p).mode & 0xffff) << 16) >>> 0 }];
    // Symbolic links are not shipped (npm ci --no-bin-links makes none).
  }
  return out;
}

export function buildPackage(options: { policy: string; outDir?: string; build?: boolean; log?: (line: string) => void }): PackageResult {
  const log = options.log ?? ((l: string) => console.log(l));
  const outDir = path.resolve(root, options.outDir ?? '.deploy');
  const appDir = path.join(outDir, 'app');
  const zipFile = path.join(outDir, 'app.zip');
  const policy = path.resolve(root, options.policy);
  if (!existsSync(policy)) throw new Error(`policy file ${policy} does not exist`);

  if (options.build !== false) run(npm, ['run', 'build', '--silent'], root, log);
  run(process.execPath, [path.join(root, 'dist', 'src', 'cli', 'policy-check.js'), policy], root, log);

  rmSync(appDir, { recursive: true, force: true });
  rmSync(zipFile, { force: true });
  mkdirSync(appDir, { recursive: true });
  cpSync(path.join(root, 'dist'), path.join(appDir, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.tsbuildinfo') });
  for (const f of ['host.json', 'package.json', 'package-lock.json']) cpSync(path.join(root, f), path.join(appDir, f));
  cpSync(policy, path.join(appDir, 'policy.json'));
  // azd zips the dist folder it is given, leaving out node_modules unless an ignore file says what
  // to leave out instead (.funcignore for function apps; .zipignore in newer azd versions).
  for (const f of ['.funcignore', '.zipignore']) writeFileSync(path.join(appDir, f), '.funcignore\n.zipignore\n');
  run(npm, ['ci', '--omit=dev', '--ignore-scripts', '--no-bin-links', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], appDir, log);

  const files = collect(appDir);
  delete files['.funcignore'];
  delete files['.zipignore'];
  const zip = zipSync(files, { level: 6, mtime: new Date('2026-01-01T00:00:00Z') });
  writeFileSync(zipFile, zip);
  const count = Object.keys(files).length;
  log(`package: ${path.relative(root, zipFile)} (${count} files, ${(zip.length / 1048576).toFixed(1)} MiB), staged in ${path.relative(root, appDir)}`);
  return { appDir, zipFile, files: count, bytes: zip.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const argv = process.argv.slice(2);
  const policy = arg(argv, '--policy') ?? process.env.POLICY_FILE;
  if (!policy) {
    console.error('npm run package: name the policy to ship: npm run package -- --policy <file>, or POLICY_FILE=<file> (with azd: azd env set POLICY_FILE <file>).');
    process.exitCode = 2;
  } else {
    try {
      buildPackage({ policy, outDir: arg(argv, '--out') });
    } catch (err) {
      console.error(`npm run package failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  }
}
