/** Where the canary keeps its last report (Table storage in the app: src/adapters/canary-store.ts). */
import type { CanaryReport } from '../domain/canary.js';

export interface CanaryStore {
  save(report: CanaryReport): Promise<void>;
  latest(): Promise<CanaryReport | undefined>;
}
