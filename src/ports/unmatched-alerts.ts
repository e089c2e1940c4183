/**
 * Alerts that reached the intake but started or joined no incident, kept so that a person can see
 * them (GET /api/alerts/unmatched): no service matched, the policy could not be read when they
 * came, or they could not be processed. Their payloads are in the alert archive (`payloadRef`).
 */
export interface UnmatchedAlert {
  /** The delivery key's hash (alertId + monitorCondition): one record per alert and condition. */
  key: string;
  alertId: string;
  rule: string | null;
  /** The alert's first target resource id (or configuration item). */
  target: string | null;
  condition: 'Fired' | 'Resolved';
  azureSeverity: string | null;
  monitoringService: string | null;
  firedAt: string;
  receivedAt: string;
  /** unmatched: no service matched; policy-invalid: the policy could not be read; not-processed: it failed. */
  outcome: 'unmatched' | 'policy-invalid' | 'not-processed';
  reason: string;
  /** Where the redacted payload is archived (incident-alert-payloads/...), when it could be. */
  payloadRef: string | null;
}

export interface UnmatchedAlerts {
  /** Records (or replaces: a redelivery) the alert's record. */
  record(alert: UnmatchedAlert): Promise<void>;
  /** The most recent records, newest fired first. */
  list(limit: number): Promise<UnmatchedAlert[]>;
}
