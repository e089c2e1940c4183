/**
 * `npm run infra:build`: brings the pinned Bicep compiler from NuGet (tools/bicep/bicep.csproj,
 * restored with the .NET SDK into .tools/nuget: no download from anywhere but the NuGet feed the
 * machine is configured with), then runs `bicep build` and `bicep lint` on infra/main.bicep and
 * fails on any error or warning. The compiled ARM template goes to .tools/infra/main.json
 * (generated, never committed); the tests in test/infra compile their own copy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '..');
const project = path.join(repoRoot, 'tools', 'bicep', 'bicep.csproj');
const toolsDir = path.join(repoRoot, '.tools');

/** The compiler version, pinned once in tools/bicep/bicep.csproj. */
export function bicepVersion(): string {
  const m = /<BicepVersion>([^<]+)<\/BicepVersion>/.exec(readFileSync(project, 'utf8'));
  if (!m?.[1]) throw new Error(`${project} has no <BicepVersion>`);
  return m[1];
}

export function bicepPath(): string {
  return path.join(toolsDir, 'nuget', 'azure.bicep.commandline.linux-x64', bicepVersion(), 'tools', 'bicep');
}

/** Whether the .NET SDK is on PATH (the machines of this project have it; CI requires it). */
export function hasDotnet(): boolean {
  return spawnSync('dotnet', ['--version'], { stdio: 'ignore' }).status === 0;
}

const quietDotnet = { ...process.env, DOTNET_NOLOGO: '1', DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_SKIP_FIRST_TIME_EXPERIENCE: '1' };

/** Restores the compiler unless this version is already there; returns the executable's path. */
export function ensureBicep(log: (line: string) => void = () => {}): string {
  const exe = bicepPath();
  if (!existsSync(exe)) {
    if (!hasDotnet()) throw new Error('the .NET SDK (dotnet) is needed to restore the Bicep compiler from NuGet (tools/bicep/bicep.csproj), and it is not on PATH');
    const args = ['restore', project, '--packages', path.join(toolsDir, 'nuget'), `-p:MSBuildProjectExtensionsPath=${path.join(toolsDir, 'obj')}/`, '--verbosity', 'quiet'];
    log(`$ dotnet ${args.map((a) => a.split(repoRoot + path.sep).join('')).join(' ')}`);
    execFileSync('dotnet', args, { cwd: repoRoot, env: quietDotnet, stdio: ['ignore', 'inherit', 'inherit'] });
    if (!existsSync(exe)) throw new Error(`dotnet restore finished but ${exe} is missing`);
  }
  // NuGet extracts without the executable bit.
  chmodSync(exe, 0o755);
  return exe;
}

export interface BicepRun {
  command: string;
  status: number;
  output: string;
  /** The "file(line,col) : Error|Warning rule: message" lines. */
  diagnostics: string[];
}

export function runBicep(args: string[]): BicepRun {
  const exe = ensureBicep();
  const r = spawnSync(exe, args, { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, BICEP_TRACING_ENABLED: 'false' } });
  if (r.error) throw r.error;
  const output = `${r.stdout}${r.stderr}`.trim();
  return {
    command: `bicep ${args.join(' ')}`,
    status: r.status ?? 1,
    output,
    diagnostics: output.split('\n').filter((l) => /\) : (Error|Warning) /.test(l)),
  };
}

/** Compiles a .bicep file to an ARM template (JSON), failing on any error or warning. */
export function compileBicep(file: string, outFile: string, options: { allowWarnings?: boolean } = {}): { run: BicepRun; template: unknown } {
  mkdirSync(path.dirname(outFile), { recursive: true });
  const run = runBicep(['build', file, '--outfile', outFile]);
  const errors = run.diagnostics.filter((l) => options.allowWarnings !== true || /\) : Error /.test(l));
  if (run.status !== 0 || errors.length > 0) throw new Error(`${run.command} failed:\n${run.output}`);
  return { run, template: JSON.parse(readFileSync(outFile, 'utf8')) as unknown };
}

/**
 * Compiles every main.bicep under `dir` (one folder per copy) in one compiler process, each to the
 * main.json beside it; warnings are allowed (the copies are deliberately broken), errors are not.
 */
export function compileCopies(dir: string): BicepRun {
  const run = runBicep(['build', '--pattern', path.join(dir, '*', 'main.bicep')]);
  if (run.status !== 0 || run.diagnostics.some((l) => /\) : Error /.test(l))) throw new Error(`${run.command} failed:\n${run.output}`);
  return run;
}

function main(): number {
  const main = path.join('infra', 'main.bicep');
  const out = path.join('.tools', 'infra', 'main.json');
  ensureBicep((l) => console.log(l));
  console.log(`Bicep CLI ${bicepVersion()} (NuGet Azure.Bicep.CommandLine.linux-x64)`);
  mkdirSync(path.join(toolsDir, 'infra'), { recursive: true });
  let failed = false;
  for (const args of [['build', main, '--outfile', out], ['lint', main]]) {
    const run = runBicep(args);
    console.log(`$ ${run.command}`);
    if (run.output) console.log(run.output);
    const errors = run.diagnostics.filter((l) => /\) : Error /.test(l)).length;
    const warnings = run.diagnostics.length - errors;
    console.log(`${args[0]}: exit ${run.status}, ${errors} error(s), ${warnings} warning(s)`);
    if (run.status !== 0 || run.diagnostics.length > 0) failed = true;
  }
  console.log(failed ? 'infra:build FAILED' : `infra:build OK: ${out}`);
  return failed ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  process.exitCode = main();
}
