/**
 * fetch options whose connections trust one extra certificate authority (a private or test CA:
 * the lab's loopback Graph, a Graph behind a TLS-inspecting proxy), for clients that call the
 * global fetch (the Graph client). Node bundles undici without exporting its Agent; the global
 * dispatcher's constructor is that Agent. A `data:` fetch creates the global dispatcher
 * synchronously when nothing has fetched yet, so this works at any time.
 */

interface Dispatcher {
  close(): Promise<void>;
}
type AgentCtor = new (options: { connect: { ca: string } }) => Dispatcher;

const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

export function trustingFetchOptions(caPem: string): { options: Record<string, unknown>; close: () => Promise<void> } {
  const holder = globalThis as Record<symbol, unknown>;
  if (!holder[GLOBAL_DISPATCHER]) void fetch('data:,').catch(() => undefined);
  const global = holder[GLOBAL_DISPATCHER] as { constructor: AgentCtor } | undefined;
  if (!global) throw new Error('Cannot find the undici Agent behind fetch in this Node.js version.');
  const dispatcher = new global.constructor({ connect: { ca: caPem } });
  return { options: { dispatcher }, close: () => dispatcher.close() };
}
