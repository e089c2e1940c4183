/**
 * Starts Azurite (installed from npm as a dev dependency) as a child process on loopback, in
 * memory or on disk, and waits until its blob and table endpoints accept connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { azuriteConnectionString } from '../app/devhost-seam.js';

export interface AzuriteOptions {
  mode: 'memory' | 'disk';
  /** Folder for disk mode. */
  location?: string;
  /** Fixed ports (Azurite's defaults are 10000-10002); 0 or absent picks free ones. */
  ports?: { blob?: number; queue?: number; table?: number };
  /** Print Azurite's access log. */
  verbose?: boolean;
}

export interface AzuriteInstance {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function isListening(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Azurite's fixed ports, which UseDevelopmentStorage=true points at. */
export const DEVELOPMENT_STORAGE_PORTS = { blob: 10000, queue: 10001, table: 10002 } as const;

/**
 * What to do for UseDevelopmentStorage=true: use the Azurite already listening ('running': its
 * blob and table ports answer, the two the dev host uses), or start one ('start': all three ports
 * are free). Anything else means some other program holds one of the ports, and an Azurite started
 * on them would fail: that is an error naming the port and the ways out.
 */
export async function developmentStoragePlan(
  ports: { blob: number; queue: number; table: number } = DEVELOPMENT_STORAGE_PORTS,
): Promise<'running' | 'start'> {
  const named = [
    { name: 'blob', port: ports.blob },
    { name: 'queue', port: ports.queue },
    { name: 'table', port: ports.table },
  ];
  const busy = await Promise.all(named.map((p) => isListening(p.port)));
  const [blob, , table] = busy;
  if (blob && table) return 'running';
  if (!busy.some(Boolean)) return 'start';
  const taken = named.filter((_, i) => busy[i]).map((p) => `${p.port} (${p.name})`);
  const free = named.filter((_, i) => !busy[i]).map((p) => `${p.port} (${p.name})`);
  throw new Error(
    `AzureWebJobsStorage is UseDevelopmentStorage=true, but ${taken.length > 1 ? 'ports' : 'port'} ${taken.join(' and ')} ` +
      `${taken.length > 1 ? 'are' : 'is'} in use while ${free.join(' and ')} ` +
      `${free.length > 1 ? 'are' : 'is'} free: that is not a complete Azurite, and an embedded one cannot start on those ports. ` +
      `Stop the program that listens on ${taken.map((t) => t.split(' ')[0]).join(' and ')}, or run with --azurite off and set ` +
      `AzureWebJobsStorage in local.settings.json to a storage account or an Azurite on other ports.`,
  );
}

export async function startAzurite(options: AzuriteOptions): Promise<AzuriteInstance> {
  const entry = createRequire(__filename).resolve('azurite/dist/src/azurite.js');
  for (let attempt = 1; ; attempt++) {
    const ports = {
      blob: options.ports?.blob || (await freePort()),
      queue: options.ports?.queue || (await freePort()),
      table: options.ports?.table || (await freePort()),
    };
    const args = [
      entry,
      '--blobHost', '127.0.0.1', '--blobPort', String(ports.blob),
      '--queueHost', '127.0.0.1', '--queuePort', String(ports.queue),
      '--tableHost', '127.0.0.1', '--tablePort', String(ports.table),
      '--skipApiVersionCheck', '--loose', '--disableTelemetry', '--disableProductStyleUrl',
    ];
    if (!options.verbose) args.push('--silent');
    if (options.mode === 'memory') {
      args.push('--inMemoryPersistence');
    } else {
      const location = options.location ?? '.azurite';
      mkdirSync(location, { recursive: true });
      args.push('--location', location);
    }
    const child = spawn(process.execPath, args, { stdio: ['ignore', options.verbose ? 'inherit' : 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await waitUntilReady(child, [ports.blob, ports.table]);
    if (ready) {
      return {
        connectionString: azuriteConnectionString(ports),
        ports,
        stop: () => stopChild(child),
      };
    }
    await stopChild(child);
    const fixed = options.ports?.blob || options.ports?.queue || options.ports?.table;
    if (fixed || attempt >= 3) {
      throw new Error(`Azurite did not start (ports ${ports.blob}/${ports.queue}/${ports.table}): ${stderr.trim() || 'no output'}`);
    }
  }
}

async function waitUntilReady(child: ChildProcess, ports: number[]): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    const ok = await Promise.all(ports.map((p) => isListening(p)));
    if (ok.every(Boolean)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

