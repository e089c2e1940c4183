/**
 * The smoke probes: each check kind measured against one target over HTTP. A probe never throws
 * for what it finds (timeouts, refused connections, oversized bodies are measurements, with an
 * error code); only a bug would throw.
 */
import type { Check, Measured } from '../domain/smoke-checks.js';

export interface ProbeTarget {
  label: string;
  /** Without a trailing slash. */
  baseUrl: string;
  /** Sent with every request (credentials resolved from app settings by the caller). */
  headers: Record<string, string>;
}

export interface ProbeContext {
  /** Orchestration time of the request, recorded in the result. */
  requestedAt: string;
}

export interface SmokeProbes {
  probe(target: ProbeTarget, check: Check, context: ProbeContext): Promise<Measured>;
}
