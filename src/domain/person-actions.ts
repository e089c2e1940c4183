/**
 * The actions people take on a running incident, each raised into its orchestration as an event
 * (their fields: `InboundFields` in src/domain/incident-events.ts, which must have exactly these).
 * Apart, and importing nothing, because functions/incidents.ts registers one route per action at
 * start-up, before any schema is needed.
 */
export const PERSON_ACTIONS = ['ack', 'note', 'decision', 'rollback', 'extend', 'resolve', 'severity'] as const;
export type PersonAction = (typeof PERSON_ACTIONS)[number];
