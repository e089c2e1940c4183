/** Starting and signalling incident orchestrations (the Durable client, seen from our code). */
export type InstanceState = 'none' | 'running' | 'finished';

export interface Orchestrations {
  state(instanceId: string): Promise<InstanceState>;
  /** Starts the orchestration; 'exists' when an instance with that id is running already. */
  start(name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'>;
  /**
   * Raises an event; 'gone' when the instance has finished, 'missing' when there is none.
   * `running`: the caller has just seen it running (its status is not read again first).
   */
  raise(instanceId: string, event: string, data: unknown, opts?: { running?: boolean }): Promise<'raised' | 'gone' | 'missing'>;
  /** Runtime status and custom status for the incident API. */
  describe(instanceId: string): Promise<{ runtimeStatus: string; customStatus: unknown; createdTime: string; lastUpdatedTime: string } | undefined>;
}

export interface AlertArchive {
  /** Stores a raw alert payload once under `name`; returns the name it is stored under. */
  put(name: string, payload: unknown): Promise<string>;
}
