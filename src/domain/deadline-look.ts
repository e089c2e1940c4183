/**
 * Look again before acting at a deadline. When the decision timebox or the containment timebox
 * runs out and the runbook is about to roll back on its own, it reads the signals once more: if
 * the alert has resolved and the fired metric has stayed under its threshold for the policy's hold
 * time (and the smoke checks, when they ran, are green), the service recovered before the deadline
 * and the automatic rollback is not taken blindly; that is recorded with the figures. In every
 * other case, including a reader that cannot see, RB-03's "if in doubt, roll back" holds, and the
 * reason says which doubt. Configurable per environment (`signals.lookAgainBeforeDeadline`).
 */
import { recoveryVerdict, type RecoveryInput, type RecoveryVerdict } from './recovery-verdict.js';

export type DeadlineLook =
  | { kind: 'recovered-before-deadline'; verdict: RecoveryVerdict; text: string }
  | { kind: 'roll-back'; verdict: RecoveryVerdict | null; text: string };

export interface DeadlineLookInput extends RecoveryInput {
  enabled: boolean;
  /** Which deadline: "the decision timebox", "the containment timebox". */
  deadline: string;
}

export function lookAgainAtDeadline(input: DeadlineLookInput): DeadlineLook {
  if (!input.enabled) {
    return { kind: 'roll-back', verdict: null, text: `${input.deadline} ran out: rolling back (the policy does not look again before acting; RB-03: if in doubt, roll back).` };
  }
  // The smoke checks are not required to have run (the decision deadline may come before any
  // verification), but when they did and are not green, that is doubt.
  const verdict = recoveryVerdict({ ...input, smoke: input.smoke ?? { verdict: 'green', reasons: [] } });
  const doubts: string[] = [...verdict.blocking];
  if (input.alerts.status !== 'read') doubts.push('the alerts could not be read, so it is not known whether the alert resolved');
  const seen = (key: string) => verdict.metrics.some((m) => m.key === key && m.state !== 'unseen' && m.state !== 'no-data');
  const seenMetrics = verdict.metrics.filter((m) => seen(m.key));
  const firedUnseen = input.metrics.filter((o) => o.metric.source === 'alert' && !seen(o.metric.key)).map((o) => o.metric.label);
  if (firedUnseen.length) doubts.push(`the fired metric ${firedUnseen.join(', ')} could not be read back`);
  else if (!seenMetrics.length) doubts.push('no metric could be read back, so it is not known whether the service is under its thresholds');
  if (doubts.length === 0) {
    const figures = seenMetrics.map((m) => m.text).join('; ');
    return {
      kind: 'recovered-before-deadline',
      verdict,
      text: `Recovered before the deadline: ${input.deadline} ran out, but the alert has resolved and ${figures}${input.smoke ? '; smoke checks green' : ''}. The automatic rollback is not taken; the runbook keeps verifying.`,
    };
  }
  return { kind: 'roll-back', verdict, text: `${input.deadline} ran out and recovery is not proven (${doubts.join('; ')}): rolling back (RB-03: if in doubt, roll back).` };
}
