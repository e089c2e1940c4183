/** Where the synthetic monitor keeps, per service, how many runs in a row were red (Table storage). */
import type { MonitorState } from '../domain/synthetic.js';

export interface MonitorStateStore {
  /** The service's state (the initial one when there is none), with its version. */
  read(environment: string, service: string): Promise<{ state: MonitorState; etag: string | null }>;
  /** Writes when nobody wrote since the read (`etag`; null: it did not exist); else 'conflict'. */
  write(environment: string, service: string, state: MonitorState, etag: string | null): Promise<'written' | 'conflict'>;
}
