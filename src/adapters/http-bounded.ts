/**
 * Plain HTTP calls to systems we do not have an SDK for (an app's /version endpoint, a pipeline
 * webhook): every call has a timeout covering the whole exchange, and the body is read only up
 * to a bound (a misbehaving endpoint cannot make us buffer megabytes).
 */
import { TransientError } from '../domain/errors.js';

export interface BoundedRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
}

export interface BoundedResponse {
  status: number;
  headers: Headers;
  text: string;
}

export class ResponseTooLargeError extends Error {
  override name = 'ResponseTooLargeError';
}

/** Where the URL points, without query or credentials (safe for messages). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Sends the request. Network failures and timeouts throw TransientError; any HTTP status is
 * returned (the caller decides what it means). Redirects are not followed: a /version endpoint
 * or webhook that redirects is misconfigured, and following could leak the Authorization header.
 */
export async function fetchBounded(url: string, req: BoundedRequest): Promise<BoundedResponse> {
  const signal = AbortSignal.timeout(req.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { method: req.method ?? 'GET', headers: req.headers, body: req.body, signal, redirect: 'manual' });
  } catch (err) {
    throw new TransientError(`${req.method ?? 'GET'} ${safeUrl(url)} failed: ${describeFetchError(err, req.timeoutMs)}`, { cause: err });
  }
  try {
    const text = await readBounded(res, req.maxBytes);
    return { status: res.status, headers: res.headers, text };
  } catch (err) {
    if (err instanceof ResponseTooLargeError) throw err;
    throw new TransientError(`Reading the answer of ${safeUrl(url)} failed: ${describeFetchError(err, req.timeoutMs)}`, { cause: err });
  }
}

async function readBounded(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(`The answer is ${declared} bytes; at most ${maxBytes} are read.`);
  }
  if (!res.body) return '';
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(`The answer is larger than ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return cause ? `${e?.message ?? 'error'} (${cause})` : (e?.message ?? String(err));
}

/** 408, 429 and 5xx: the other side may answer differently in a moment. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
