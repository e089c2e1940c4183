#!/usr/bin/env node
/**
 * `npm start` / `node dist/src/devhost/cli.js [options]`: runs the app in this folder (or --app)
 * on the dev host until Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ManualClock, RealClock, ScaledClock, type Clock } from './clock.js';
import { DevHost } from './host.js';
import { parseLogLevel } from './logger.js';

const usage = `Usage: npm start -- [options]

  --port <n>            HTTP port (default: $PORT or 7071)
  --app <dir>           the Functions app folder (default: the current folder)
  --azurite <mode>      memory | disk | off: embedded Azurite when AzureWebJobsStorage is
                        UseDevelopmentStorage=true and none is running (default: memory)
  --azurite-location <dir>  Azurite's folder in disk mode (default: .azurite)
  --time-scale <n>      run orchestration time n times faster than the wall clock
  --manual-clock        time moves only via POST /admin/devhost/clock?advanceMs=<ms>
  --enforce-keys        require function keys (DEVHOST_FUNCTION_KEYS, DEVHOST_MASTER_KEY); on
                        without the flag when DEVHOST_FUNCTION_KEYS is set
  --log-level <level>   trace | debug | information | warning | error (default: information)
  --help`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      app: { type: 'string' },
      azurite: { type: 'string' },
      'azurite-location': { type: 'string' },
      'time-scale': { type: 'string' },
      'manual-clock': { type: 'boolean' },
      'enforce-keys': { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usage + '\n');
    return;
  }
  const port = Number(values.port ?? process.env.PORT ?? 7071);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
  const azurite = values.azurite ?? 'memory';
  if (azurite !== 'memory' && azurite !== 'disk' && azurite !== 'off') throw new Error(`--azurite must be memory, disk or off`);
  let clock: Clock = new RealClock();
  // Scaled and manual clocks continue from the time the last run reached (see clock-keeper.ts).
  if (values['manual-clock']) clock = new ManualClock(Date.now(), 'stored');
  else if (values['time-scale']) {
    const scale = Number(values['time-scale']);
    if (!(scale > 0)) throw new Error(`--time-scale must be a positive number, got ${values['time-scale']}`);
    clock = new ScaledClock(scale);
  }
  const appRoot = values.app ?? process.cwd();
  // Signals are handled from here on: a stop asked for while the host is still starting (or while
  // the commit is read below) waits for the start and then stops cleanly, instead of the default
  // action killing the process with the task hub half-written.
  const running: { host?: DevHost } = {};
  let stopping = false;
  const stop = (): void => {
    if (stopping && running.host) process.exit(1);
    stopping = true;
    running.host?.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  running.host = await DevHost.start({
    appRoot,
    port,
    clock,
    azurite,
    ...(values['azurite-location'] ? { azuriteLocation: values['azurite-location'] } : {}),
    ...(values['enforce-keys'] ? { enforceKeys: true } : {}),
    logLevel: parseLogLevel(values['log-level'], 'information'),
  });
  // /api/health reports the commit (APP_COMMIT, set by the deploy pipeline in Azure); locally,
  // unless local.settings.json (applied by the start) names one, it is the checkout's.
  if (!process.env.APP_COMMIT?.trim()) {
    const commit = localCommit(appRoot);
    if (commit) process.env.APP_COMMIT = commit;
  }
  if (stopping) {
    // A signal came during the start: stop now that there is a host to stop.
    stopping = false;
    stop();
  }
}

/** The checkout's commit (with "-dirty" when it has uncommitted changes), or undefined outside git. */
function localCommit(cwd: string): string | undefined {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd, timeout: 2000, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}-dirty` : head;
  } catch {
    return undefined;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`dev host: ${err instanceof Error ? err.message : String(err)}\n\n${usage}\n`);
  process.exit(1);
});
