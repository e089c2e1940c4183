/**
 * Every action a caller can take, each carried by its own function(s) (who may take which:
 * src/app/access.ts). Apart from the rest of the role model, and importing nothing, because
 * httpRoute (src/app/routes.ts) checks a guarded route's name against it when the route registers,
 * at start-up, when nothing else of access is needed yet.
 */
export const ACCESS_ACTIONS = {
  read: ['incidentsList', 'incidentsGet', 'incidentsActionsGet', 'lkgGet', 'freezeGet', 'alertsUnmatched', 'canaryGet'],
  declare: ['incidentsDeclare'],
  ack: ['incidentsAck'],
  note: ['incidentsNote'],
  decision: ['incidentsDecision'],
  rollback: ['incidentsRollback'],
  extend: ['incidentsExtend'],
  severity: ['incidentsSeverity'],
  resolve: ['incidentsResolve'],
  followUp: ['incidentsActions'],
  freeze: ['freezeSet'],
  lkg: ['lkgRecord'],
} as const;
export type AccessAction = keyof typeof ACCESS_ACTIONS;
