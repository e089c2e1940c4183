/**
 * UseDevelopmentStorage=true: the dev host uses an Azurite that is running, starts one when the
 * ports are free, and says clearly which port is in the way otherwise. Real sockets on free
 * ports stand in for 10000-10002 (other test runs may use those).
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { developmentStoragePlan, freePort } from '../../src/devhost/azurite.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function occupy(port: number): Promise<void> {
  const server = net.createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

async function threePorts(): Promise<{ blob: number; queue: number; table: number }> {
  return { blob: await freePort(), queue: await freePort(), table: await freePort() };
}

describe('the development storage ports', () => {
  it('starts an Azurite when all three are free', async () => {
    expect(await developmentStoragePlan(await threePorts())).toBe('start');
  });

  it('uses the Azurite whose blob and table ports answer', async () => {
    const ports = await threePorts();
    await occupy(ports.blob);
    await occupy(ports.table);
    expect(await developmentStoragePlan(ports)).toBe('running');
    await occupy(ports.queue);
    expect(await developmentStoragePlan(ports)).toBe('running');
  });

  it('names the one busy port and the ways out instead of trying to start on it', async () => {
    const ports = await threePorts();
    await occupy(ports.queue);
    const error = await developmentStoragePlan(ports).catch((err: unknown) => err as Error);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(`port ${ports.queue} (queue) is in use`);
    expect(message).toContain(`${ports.blob} (blob) and ${ports.table} (table) are free`);
    expect(message).toContain('--azurite off');
    expect(message).toContain('AzureWebJobsStorage in local.settings.json');
  });

  it('names both busy ports when two are taken but not blob and table', async () => {
    const ports = await threePorts();
    await occupy(ports.blob);
    await occupy(ports.queue);
    await expect(developmentStoragePlan(ports)).rejects.toThrow(`ports ${ports.blob} (blob) and ${ports.queue} (queue) are in use while ${ports.table} (table) is free`);
  });
});
