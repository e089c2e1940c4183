/**
 * HTTP plumbing shared by the triggers: the error envelope every endpoint answers with, request
 * ids, and JSON bodies read with a size bound (refused before parsing when too large).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Issue } from '../config/issues.js';
import { MAX_JSON_DEPTH, jsonDepth } from '../domain/json-fields.js';
import { errorText } from '../domain/errors.js';

export type ErrorCode =
  | 'bad_request'
  | 'invalid_json'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'gone'
  | 'payload_too_large'
  | 'payload_too_deep'
  | 'unsupported_media_type'
  | 'storage_unavailable'
  | 'key_service_unavailable'
  | 'not_configured'
  | 'internal_error';

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; requestId: string; details: Issue[] | Record<string, unknown> | null };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorEnvelope['error']['details'] = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The caller's x-request-id when it is sane, else the invocation id, so logs and answers match. */
export function requestIdOf(request: HttpRequest, context: InvocationContext): string {
  const given = request.headers.get('x-request-id') ?? request.headers.get('x-ms-client-request-id');
  return given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : context.invocationId;
}

export function jsonResponse(status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status,
    jsonBody: body,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': requestId, ...headers },
  };
}

export function errorResponse(err: HttpError, requestId: string): HttpResponseInit {
  const envelope: ErrorEnvelope = { error: { code: err.code, message: err.message, requestId, details: err.details } };
  return jsonResponse(err.status, envelope, requestId, err.headers);
}

export interface ReadJsonOptions {
  maxBytes: number;
  /** Deepest nesting accepted (default MAX_JSON_DEPTH). */
  maxDepth?: number;
}

/**
 * Reads a JSON body: 415 unless the content type is JSON (or absent), 413 when larger than
 * `maxBytes` (by Content-Length before reading, or while reading), 400 when it is not JSON or
 * nests deeper than `maxDepth` (such a body can never be processed: a 4xx, so nobody retries it).
 */
export async function readJson(request: HttpRequest, options: ReadJsonOptions): Promise<unknown> {
  const type = request.headers.get('content-type');
  if (type && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(type.trim())) {
    throw new HttpError(415, 'unsupported_media_type', `Send the body as application/json (got ${type.slice(0, 100)}).`);
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) throw tooLarge(options.maxBytes);
  const text = await readText(request, options.maxBytes);
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'The request body is empty; send a JSON document.');
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, 'invalid_json', `The request body is not valid JSON: ${errorText(err)}`);
  }
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const depth = jsonDepth(value, maxDepth);
  if (depth > maxDepth) {
    throw new HttpError(400, 'payload_too_deep', `The request body nests deeper than ${maxDepth} levels (objects and arrays); nothing this app accepts nests that deep.`, {
      maxDepth,
    });
  }
  return value;
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'payload_too_large', `The request body is larger than ${maxBytes} bytes.`);
}

async function readText(request: HttpRequest, maxBytes: number): Promise<string> {
  const body = request.body;
  if (!body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream: the rest of an oversized body is never read.
  for await (const chunk of body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
}

/**
 * Wraps a handler so that an HttpError becomes its envelope and anything unexpected becomes a
 * logged 500 envelope (never an empty 500 from the host).
 */
export function withEnvelope(
  handler: (request: HttpRequest, context: InvocationContext, requestId: string) => Promise<HttpResponseInit>,
): (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit> {
  return async (request, context) => {
    const requestId = requestIdOf(request, context);
    try {
      return await handler(request, context, requestId);
    } catch (err) {
      if (err instanceof HttpError) return errorResponse(err, requestId);
      context.error(`Unhandled error (requestId ${requestId}):`, err);
      return errorResponse(new HttpError(500, 'internal_error', 'Something went wrong on our side; the request id is in the logs.'), requestId);
    }
  };
}
