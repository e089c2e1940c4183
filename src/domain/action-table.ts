/**
 * Every action the runbook can carry out, in one table: what people call it, whether it contains
 * the incident (and whether it is a rollback to last known good), how a plan line describes a step,
 * what a person retries or does by hand when it does not go through. The record, the messages,
 * the failures and the evidence read these words from here, so a new containment action is one
 * row here (plus its step in ./containment.ts and its activity), not a word in each of them.
 */
import type { ContainmentStep } from './containment.js';

export type StepKind = ContainmentStep['kind'];
export type ActionKind = StepKind | 'freeze' | 'unfreeze' | 'record-lkg';
export type StepOf<K extends StepKind> = Extract<ContainmentStep, { kind: K }>;

interface ActionRow {
  /** Subject of a sentence about it: "The flag change", "The restart of the App Service". */
  what: string;
  /** Contains the incident (a deploy freeze or an LKG record does not). */
  contains: boolean;
  /** Puts production back on the last known good release. */
  rollback: boolean;
  /** Carried out through the stored procedures (its change is in the SQL audit log). */
  audited: boolean;
  /** What a person retries: the rollback request, or another decision. */
  retry: 'rollback' | 'decision' | null;
  /** What a person does by hand when it was refused or failed. */
  byHand: string;
}

interface StepRow<K extends StepKind> extends ActionRow {
  /** The button label when it is a choice of its own (ContainmentChoice). */
  choice: string | null;
  /** One line for a plan: what changes, from what to what, and how. */
  describe: (step: StepOf<K>) => string;
}

type Table = { [K in StepKind]: StepRow<K> } & Record<'freeze' | 'unfreeze' | 'record-lkg', ActionRow>;

const rollbackByHand = 'Roll back by hand, or decide another containment.';
const spByHand = 'Change it by hand through the stored procedure (the audit log records who), or decide another containment.';

export const ACTIONS: Table = {
  'set-flag': {
    what: 'The flag change',
    contains: true,
    rollback: false,
    audited: true,
    retry: 'decision',
    byHand: spByHand,
    choice: null,
    describe: (s) => `Flag ${s.key}: ${s.from === null ? '?' : String(s.from)} -> ${String(s.to)} (dbo.sp_Feature_Set)`,
  },
  'set-config': {
    what: 'The config change',
    contains: true,
    rollback: false,
    audited: true,
    retry: 'decision',
    byHand: spByHand,
    choice: null,
    describe: (s) => `Config ${s.key}: "${s.from ?? '?'}" -> "${s.to}" (dbo.sp_Config_SetValue)`,
  },
  'api-to-lkg': {
    what: 'The API rollback to the last known good release',
    contains: true,
    rollback: true,
    audited: false,
    retry: 'rollback',
    byHand: rollbackByHand,
    choice: 'Roll back API to last known good',
    describe: (s) => `API to last known good: ${s.from ?? 'current'} -> ${s.to ?? 'LKG'} (slot swap)`,
  },
  'web-to-lkg': {
    what: 'The web rollback to the last known good release',
    contains: true,
    rollback: true,
    audited: false,
    retry: 'rollback',
    byHand: rollbackByHand,
    choice: 'Web to last known good',
    describe: (s) => `Web to last known good: ${s.from ?? 'current'} -> ${s.to ?? 'LKG'}`,
  },
  restart: {
    what: 'The restart of the App Service',
    contains: true,
    rollback: false,
    audited: false,
    retry: 'decision',
    byHand: 'Restart the app by hand (Azure portal: App Service > Restart), or decide another containment.',
    choice: 'Restart the App Service',
    describe: () => 'Restart the API App Service (ARM restart, then /healthz must answer again)',
  },
  'scale-out': {
    what: 'Scaling out the App Service plan',
    contains: true,
    rollback: false,
    audited: false,
    retry: 'decision',
    byHand: 'Scale the plan out by hand (Azure portal: App Service plan > Scale out), or decide another containment.',
    choice: 'Scale out the App Service plan',
    describe: (s) => `Scale the App Service plan out to ${s.to} instances (ARM, then the plan must report ${s.to})`,
  },
  'traffic-rule': {
    what: 'The access restriction',
    contains: true,
    rollback: false,
    audited: false,
    retry: 'decision',
    byHand: 'Add the access restriction by hand (Azure portal: App Service > Networking > Access restrictions), or decide another containment.',
    choice: 'Apply the traffic rule',
    describe: (s) => `Access restriction "${s.rule.name}": ${s.rule.action} ${s.rule.ipAddress} at priority ${s.rule.priority} on the API site (then the rule must be listed)`,
  },
  freeze: { what: 'The deploy freeze', contains: false, rollback: false, audited: false, retry: null, byHand: 'Hold deployments to this environment by hand until the incident is resolved.' },
  unfreeze: { what: 'Lifting the deploy freeze', contains: false, rollback: false, audited: false, retry: null, byHand: 'Lift the deploy freeze by hand (POST /api/freeze/<environment>) once you have checked the environment.' },
  'record-lkg': { what: 'Recording the release as last known good', contains: false, rollback: false, audited: false, retry: null, byHand: 'Record the last known good release by hand (POST /api/lkg) if this release is good.' },
};

export const isContainment = (a: ActionKind): boolean => ACTIONS[a].contains;
export const isRollback = (a: ActionKind): boolean => ACTIONS[a].rollback;

/** A plan line for one step. */
export function describeStep(step: ContainmentStep): string {
  return (ACTIONS[step.kind].describe as (s: ContainmentStep) => string)(step);
}

/** Step kinds that are a containment choice of their own, with their button labels. */
export function stepChoices(): [StepKind, string][] {
  const out: [StepKind, string][] = [];
  for (const [k, row] of Object.entries(ACTIONS)) if ('choice' in row && typeof row.choice === 'string') out.push([k as StepKind, row.choice]);
  return out;
}
