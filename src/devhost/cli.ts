#!/usr/bin/env node
/**
 * `npm start` / `node dist/src/devhost/cli.js [options]`: runs the app in this folder (or --app)
 * on the dev host until Ctrl-C; with --lab, beside the lab's simulators (src/lab).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyLocalSettings } from '../app/devhost-seam.js';
import { LabSetupError, labPorts, DEFAULT_LAB_PORT } from '../lab/lab.js';
import { LAB_FAULTS, parseFaults, type LabFaultError } from '../lab/faults.js';
import { ManualClock, RealClock, ScaledClock, type Clock } from './clock.js';
import { DevHost } from './host.js';
import { startLabHost } from './lab-host.js';
import { parseLogLevel } from './logger.js';
import { errorText } from '../domain/errors.js';

const usage = `Usage: npm start -- [options]

  --port <n>            HTTP port (default: $PORT or 7071)
  --app <dir>           the Functions app folder (default: the current folder)
  --azurite <mode>      memory | disk | off: embedded Azurite when AzureWebJobsStorage is
                        UseDevelopmentStorage=true and none is running (default: memory)
  --azurite-location <dir>  Azurite's folder in disk mode (default: .azurite)
  --azurite-ports <blob,queue,table>  where that Azurite listens (default 10000,10001,10002),
                        for machines where those ports are taken
  --time-scale <n>      run orchestration time n times faster than the wall clock
  --manual-clock        time moves only via POST /admin/devhost/clock?advanceMs=<ms>
  --lab                 start the lab beside the app: a simulated target app (production and
                        staging slots), ARM, SQL Server and Teams on loopback, wired to the
                        policy's Lab environment; its page is http://127.0.0.1:7080
  --lab-port <n>        the lab's first port (default ${DEFAULT_LAB_PORT}; it uses n..n+7)
  --fault <names>       with --lab: inject faults at start (${LAB_FAULTS.join(', ')}),
                        comma-separated or repeated; also POST /faults/<name> on the lab page
  --enforce-keys        require function keys (DEVHOST_FUNCTION_KEYS, DEVHOST_MASTER_KEY); on
                        without the flag when DEVHOST_FUNCTION_KEYS is set
  --log-level <level>   trace | debug | information | warning | error (default: information)
  --help`;

/** A mistake in the command line: answered with the usage text. */
class UsageError extends Error {
  override name = 'UsageError';
}

function portList(value: string): { blob: number; queue: number; table: number } {
  const parts = value.split(',').map((p) => Number(p.trim()));
  const ok = parts.length === 3 && parts.every((p) => Number.isInteger(p) && p > 0 && p < 65536) && new Set(parts).size === 3;
  if (!ok) throw new UsageError(`--azurite-ports takes three different ports: blob,queue,table (e.g. 20000,20001,20002), got "${value}"`);
  const [blob = 0, queue = 0, table = 0] = parts;
  return { blob, queue, table };
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        app: { type: 'string' },
        azurite: { type: 'string' },
        'azurite-location': { type: 'string' },
        'azurite-ports': { type: 'string' },
        'time-scale': { type: 'string' },
        'manual-clock': { type: 'boolean' },
        lab: { type: 'boolean' },
        'lab-port': { type: 'string' },
        fault: { type: 'string', multiple: true },
        'enforce-keys': { type: 'boolean' },
        'log-level': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(errorText(err));
  }
  if (values.help) {
    process.stdout.write(usage + '\n');
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`);
  const azurite = values.azurite ?? 'memory';
  if (azurite !== 'memory' && azurite !== 'disk' && azurite !== 'off') throw new UsageError(`--azurite must be memory, disk or off`);
  const azuriteMode: 'memory' | 'disk' | 'off' = azurite;
  const azuritePorts = values['azurite-ports'] ? portList(values['azurite-ports']) : undefined;
  let clock: Clock = new RealClock();
  // Scaled and manual clocks continue from the time the last run reached (see clock-keeper.ts).
  if (values['manual-clock']) clock = new ManualClock(Date.now(), 'stored');
  else if (values['time-scale']) {
    const scale = Number(values['time-scale']);
    if (!(scale > 0)) throw new UsageError(`--time-scale must be a positive number, got ${values['time-scale']}`);
    clock = new ScaledClock(scale);
  }
  const labBase = values['lab-port'] === undefined ? DEFAULT_LAB_PORT : Number(values['lab-port']);
  if (!Number.isInteger(labBase) || labBase < 1 || labBase > 65528) throw new UsageError(`--lab-port must be a port number (it uses n..n+7), got ${values['lab-port']}`);
  let faults;
  try {
    faults = parseFaults(values.fault ?? []);
  } catch (err) {
    throw new UsageError((err as LabFaultError).message);
  }
  if (!values.lab && (faults.length || values['lab-port'] !== undefined)) throw new UsageError('--fault and --lab-port need --lab');

  // Ctrl-C or SIGTERM at any time, also while the host starts (it is stopped as soon as it is up).
  let stopAll: (() => Promise<void>) | undefined;
  let requested = false;
  let underway = false;
  const stop = (): void => {
    if (underway) process.exit(1); // a second signal while stopping: give up waiting
    requested = true;
    if (!stopAll) return; // still starting: stopped as soon as it is up
    underway = true;
    stopAll().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const appRoot = path.resolve(values.app ?? process.cwd());
  const common = {
    appRoot,
    port,
    azurite: azuriteMode,
    ...(values['azurite-location'] ? { azuriteLocation: values['azurite-location'] } : {}),
    ...(azuritePorts ? { azuritePorts } : {}),
    ...(values['enforce-keys'] ? { enforceKeys: true } : {}),
    logLevel: parseLogLevel(values['log-level'], 'information'),
  };
  // local.settings.json first (the lab's settings go over it, and it may name a commit); the
  // host's start applies it again, which changes nothing (set variables are never overridden).
  applyLocalSettings(appRoot);
  // /api/health reports the commit (APP_COMMIT, set by the deploy pipeline in Azure); locally,
  // unless local.settings.json names one, it is the checkout's, known before the host answers.
  if (!process.env.APP_COMMIT?.trim()) {
    const commit = localCommit(appRoot);
    if (commit) process.env.APP_COMMIT = commit;
  }
  if (values.lab) {
    const labHost = await startLabHost({
      ...common,
      clock,
      labPorts: labPorts(labBase),
      labDir: path.join(appRoot, '.devhost', 'lab'),
      faults,
      say: (line) => process.stdout.write(`${line}\n`),
    });
    stopAll = () => labHost.stop();
    process.stdout.write(labHint(labHost.host.baseUrl, labHost.page.url, faults.length > 0));
  } else {
    const host = await DevHost.start({ ...common, clock });
    stopAll = () => host.stop();
  }
  if (requested) stop();
}

function labHint(app: string, page: string, faulted: boolean): string {
  return [
    '',
    `The lab is up. Its page (slots, flags, the Teams channel): ${page}`,
    faulted ? '' : `Break production:   curl -s -X POST ${page}/faults/bad-release; curl -s -X POST ${page}/faults/breaking-flag`,
    `Then post the lab's alert to ${app}/api/alerts (see the README's quick start).`,
    '',
  ]
    .filter((l, i, all) => l !== '' || i === 0 || i === all.length - 1)
    .join('\n');
}

/** The checkout's commit (with "-dirty" when it has uncommitted changes), or undefined outside git. */
function localCommit(cwd: string): string | undefined {
  // Generous timeouts: on a busy machine `git status` took over 2 s and the commit went missing.
  const git = (...args: string[]): string => execFileSync('git', args, { cwd, timeout: 10_000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  let head: string;
  try {
    head = git('rev-parse', '--short=12', 'HEAD');
  } catch {
    return undefined;
  }
  try {
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}-dirty` : head;
  } catch {
    // The commit is known even when the state of the work tree is not.
    return head;
  }
}

main().catch((err: unknown) => {
  const message = errorText(err);
  // Only a mistake in the command line earns the usage text; anything else says what went wrong.
  process.stderr.write(err instanceof UsageError ? `dev host: ${message}\n\n${usage}\n` : `dev host: ${message}\n`);
  if (!(err instanceof UsageError) && !(err instanceof LabSetupError) && err instanceof Error && process.env.DEVHOST_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
  process.exit(1);
});
