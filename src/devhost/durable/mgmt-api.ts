/**
 * The Durable Functions HTTP management API (`/runtime/webhooks/durabletask/...`) as the real
 * extension serves it: the `DurableClient` of durable-functions calls it through `rpcBaseUrl`,
 * and the URLs from `createCheckStatusResponse` point at it.
 */
import type { Engine } from './engine.js';
import { BadRequestError, InstanceExistsError } from './engine.js';
import { EventType, type HistoryEvent } from './history.js';
import { PayloadTooLargeError, TERMINAL, type InstanceState, type RuntimeStatus } from './store.js';

export interface MgmtRequest {
  method: string;
  /** Path below `/runtime/webhooks/durabletask/` (or the rpc base), still percent-encoded. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface MgmtResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface WebhookUrls {
  /** Public origin of the host, e.g. http://127.0.0.1:7071 */
  origin: string;
  /** Value for the `code` query parameter (the Durable extension's system key). */
  systemKey: string;
  connectionName: string;
}

const PREFIX = '/runtime/webhooks/durabletask';
const STATUSES: RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Canceled', 'Terminated', 'Suspended'];

export function webhookQuery(engine: Engine, urls: WebhookUrls): string {
  return `taskHub=${encodeURIComponent(engine.hubName)}&connection=${urls.connectionName}&code=${urls.systemKey}`;
}

/** The management URLs for one instance (the payload of createCheckStatusResponse). */
export function checkStatusPayload(engine: Engine, urls: WebhookUrls, instanceId: string): Record<string, string> {
  const base = `${urls.origin}${PREFIX}/instances/${encodeURIComponent(instanceId)}`;
  const q = webhookQuery(engine, urls);
  return {
    id: instanceId,
    statusQueryGetUri: `${base}?${q}`,
    sendEventPostUri: `${base}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${base}/terminate?reason={text}&${q}`,
    rewindPostUri: `${base}/rewind?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${base}?${q}`,
    restartPostUri: `${base}/restart?${q}`,
    suspendPostUri: `${base}/suspend?reason={text}&${q}`,
    resumePostUri: `${base}/resume?reason={text}&${q}`,
  };
}

/** The value of a `durableClient` input binding, as the extension passes it to the worker. */
export function durableClientData(engine: Engine, urls: WebhookUrls, rpcOrigin: string): Record<string, unknown> {
  const q = webhookQuery(engine, urls);
  const base = `${urls.origin}${PREFIX}`;
  const instance = `${base}/instances/INSTANCEID`;
  return {
    taskHubName: engine.hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${q}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${q}`,
    },
    managementUrls: {
      id: 'INSTANCEID',
      statusQueryGetUri: `${instance}?${q}`,
      sendEventPostUri: `${instance}/raiseEvent/{eventName}?${q}`,
      terminatePostUri: `${instance}/terminate?reason={text}&${q}`,
      rewindPostUri: `${instance}/rewind?reason={text}&${q}`,
      purgeHistoryDeleteUri: `${instance}?${q}`,
      restartPostUri: `${instance}/restart?${q}`,
      suspendPostUri: `${instance}/suspend?reason={text}&${q}`,
      resumePostUri: `${instance}/resume?reason={text}&${q}`,
    },
    baseUrl: base,
    requiredQueryStringParameters: `code=${urls.systemKey}`,
    rpcBaseUrl: `${rpcOrigin}/durabletask/`,
    httpBaseUrl: base,
    maxGrpcMessageSizeInBytes: 0,
    grpcHttpClientTimeout: '00:01:40',
  };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): MgmtResponse => ({ status, body, headers });
const message = (status: number, text: string): MgmtResponse => json(status, { message: text });

export async function handleManagement(engine: Engine, urls: WebhookUrls, req: MgmtRequest): Promise<MgmtResponse> {
  const segments = req.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const [root, a, b, c] = segments;
  const method = req.method.toUpperCase();
  try {
    if (root === 'orchestrators' && method === 'POST' && a && segments.length <= 3) {
      const input = readBody(req.body);
      const state = await engine.startNew(a, b, input);
      const payload = checkStatusPayload(engine, urls, state.instanceId);
      return json(202, payload, { Location: payload.statusQueryGetUri ?? '', 'Retry-After': '10' });
    }
    if (root === 'instances') {
      if (!a) {
        if (method === 'GET') return await list(engine, req);
        if (method === 'DELETE') return await purgeBy(engine, req);
        return message(405, `${method} is not allowed here.`);
      }
      if (segments.length === 2 && method === 'GET') return await status(engine, a, req.query, urls);
      if (segments.length === 2 && method === 'DELETE') {
        return (await engine.purge(a)) ? json(200, { instancesDeleted: 1 }) : message(404, `No finished instance '${a}' to purge.`);
      }
      if (method === 'POST' && b === 'raiseEvent' && c) {
        return delivery(await engine.raiseEvent(a, c, readBody(req.body)), a);
      }
      const reason = req.query.get('reason') ?? '';
      if (method === 'POST' && b === 'terminate') return delivery(await engine.terminate(a, reason), a);
      if (method === 'POST' && b === 'suspend') return delivery(await engine.suspend(a, reason), a);
      if (method === 'POST' && b === 'resume') return delivery(await engine.resumeInstance(a, reason), a);
      if (method === 'POST' && (b === 'rewind' || b === 'restart')) {
        return message(501, `The dev host does not implement ${b}; start a new instance instead.`);
      }
    }
    if (root === 'entities') return message(501, 'The dev host does not implement Durable entities.');
    return message(404, `No Durable management operation at ${method} ${PREFIX}/${req.path}`);
  } catch (err) {
    if (err instanceof BadRequestError) return message(400, err.message);
    if (err instanceof InstanceExistsError) return message(409, err.message);
    if (err instanceof PayloadTooLargeError) return message(413, err.message);
    if (err instanceof SyntaxError) return message(400, `The request body is not JSON: ${err.message}`);
    throw err;
  }
}

function delivery(result: 'accepted' | 'notFound' | 'gone', id: string): MgmtResponse {
  if (result === 'accepted') return { status: 202 };
  if (result === 'notFound') return message(404, `No instance '${id}'.`);
  return message(410, `The instance '${id}' has finished.`);
}

/** An empty body means "no input"; anything else must be JSON (kept as JSON text). */
function readBody(body: Buffer): string | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  JSON.parse(text);
  return text;
}

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const v = query.get(name);
  return v === null ? fallback : v.toLowerCase() === 'true';
}

async function status(engine: Engine, id: string, query: URLSearchParams, urls: WebhookUrls): Promise<MgmtResponse> {
  const found = await engine.getState(id);
  if (!found) return { status: 404 };
  const showHistory = flag(query, 'showHistory', false);
  const body = statusJson(found.state, flag(query, 'showInput', true));
  if (showHistory) body.historyEvents = historyJson(await found.history(), flag(query, 'showHistoryOutput', false));
  const s = found.state.status;
  // 200 done, 202 in progress, 400 failed or terminated: the extension's status codes.
  const code = s === 'Completed' ? 200 : s === 'Failed' || s === 'Terminated' || s === 'Canceled' ? 400 : 202;
  const headers: Record<string, string> = {};
  if (code === 202) {
    headers.Location = checkStatusPayload(engine, urls, id).statusQueryGetUri ?? '';
    headers['Retry-After'] = '10';
  }
  return json(code, body, headers);
}

export function statusJson(s: InstanceState, showInput: boolean): Record<string, unknown> {
  return {
    name: s.name,
    instanceId: s.instanceId,
    runtimeStatus: s.status,
    input: showInput && s.input !== undefined ? (JSON.parse(s.input) as unknown) : null,
    customStatus: s.customStatus !== undefined ? (JSON.parse(s.customStatus) as unknown) : null,
    output: s.output !== undefined ? (JSON.parse(s.output) as unknown) : null,
    createdTime: new Date(s.createdTime).toISOString(),
    lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
  };
}

function historyJson(history: HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  const out: Record<string, unknown>[] = [];
  for (const e of history) {
    if (e.EventType === EventType.TaskScheduled || e.EventType === EventType.SubOrchestrationInstanceCreated) scheduled.set(e.EventId, e);
    if (e.EventType === EventType.OrchestratorStarted || e.EventType === EventType.OrchestratorCompleted) continue;
    const item: Record<string, unknown> = { EventType: EventType[e.EventType], Timestamp: e.Timestamp };
    if (e.Name) item.FunctionName = e.Name;
    if (e.EventType === EventType.EventRaised) item.Name = e.Name;
    if (e.InstanceId) item.InstanceId = e.InstanceId;
    if (e.FireAt) item.FireAt = e.FireAt;
    if (e.TaskScheduledId !== undefined) {
      const origin = scheduled.get(e.TaskScheduledId);
      if (origin) {
        item.FunctionName = origin.Name;
        item.ScheduledTime = origin.Timestamp;
      }
    }
    if (e.Reason) item.Reason = e.Reason;
    if (e.Details) item.Details = e.Details;
    if (e.OrchestrationStatus) item.OrchestrationStatus = e.OrchestrationStatus;
    if (showOutput && e.Result !== undefined) item.Result = safeParse(e.Result);
    if (showOutput && e.Input !== undefined) item.Input = safeParse(e.Input);
    out.push(item);
  }
  return out;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function filterFrom(req: MgmtRequest): {
  createdFrom?: number;
  createdTo?: number;
  statuses?: RuntimeStatus[];
  instanceIdPrefix?: string;
} {
  const q = req.query;
  const out: ReturnType<typeof filterFrom> = {};
  const from = q.get('createdTimeFrom');
  const to = q.get('createdTimeTo');
  if (from) out.createdFrom = parseTime(from, 'createdTimeFrom');
  if (to) out.createdTo = parseTime(to, 'createdTimeTo');
  const statuses = q.get('runtimeStatus');
  if (statuses) {
    out.statuses = statuses.split(',').map((s) => {
      const match = STATUSES.find((x) => x.toLowerCase() === s.trim().toLowerCase());
      if (!match) throw new BadRequestError(`Unknown runtimeStatus '${s}'.`);
      return match;
    });
  }
  const prefix = q.get('instanceIdPrefix');
  if (prefix) out.instanceIdPrefix = prefix;
  return out;
}

function parseTime(value: string, name: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new BadRequestError(`${name} is not a date: ${value}`);
  return ms;
}

async function list(engine: Engine, req: MgmtRequest): Promise<MgmtResponse> {
  const filter = filterFrom(req);
  const topText = req.query.get('top');
  const top = topText ? Number(topText) : 100;
  if (!Number.isInteger(top) || top <= 0) throw new BadRequestError(`top must be a positive integer, got '${topText}'.`);
  const tokenHeader = req.headers['x-ms-continuation-token'];
  const token = Array.isArray(tokenHeader) ? tokenHeader[0] : tokenHeader;
  const page = await engine.listInstances({ ...filter, top, ...(token ? { continuationToken: token } : {}) });
  const showInput = flag(req.query, 'showInput', false);
  const headers: Record<string, string> = {};
  if (page.continuationToken) headers['x-ms-continuation-token'] = page.continuationToken;
  return json(
    200,
    page.states.map((s) => statusJson(s, showInput)),
    headers,
  );
}

async function purgeBy(engine: Engine, req: MgmtRequest): Promise<MgmtResponse> {
  const filter = filterFrom(req);
  if (filter.createdFrom === undefined) throw new BadRequestError('Purging by filter needs createdTimeFrom.');
  const statuses = (filter.statuses ?? ['Completed', 'Failed', 'Terminated', 'Canceled']).filter((s) => TERMINAL.has(s));
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await engine.listInstances({ ...filter, statuses, top: 500, ...(token ? { continuationToken: token } : {}) });
    for (const s of page.states) if (await engine.purge(s.instanceId)) deleted++;
    token = page.continuationToken;
  } while (token);
  return deleted ? json(200, { instancesDeleted: deleted }) : message(404, 'No finished instance matched.');
}
