/**
 * Starts Azurite (installed from npm as a dev dependency) as a child process on loopback, in
 * memory or on disk, and waits until its blob and table endpoints accept connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { azuriteConnectionString } from '../adapters/storage.js';

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

