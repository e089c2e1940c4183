/**
 * The deploy-freeze announcement (RB-02 step 1 "Freeze & Announce"; issue 5 "freezing is
 * announced"): a freeze or its lifting, by a person, a pipeline or an incident, posted in the
 * environment's Teams channel as an Adaptive Card with the same content as plain text. Pure.
 */
import { z } from 'zod';
import { duration, minutesBetween, oneLine, sentences, utcDateTime } from './format.js';
import { renderModel, type Model, type RenderedMessage } from './render.js';

const at = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().trim().min(1).max(max);

export const FreezeMessage = z.object({
  kind: z.literal('deploy-freeze'),
  environment: text(40),
  /** true: deploys are now frozen; false: the freeze was lifted. */
  frozen: z.boolean(),
  /** When this state began (the freeze record's `since`). */
  at,
  by: z.object({ id: text(256), name: z.string().trim().max(256).optional() }),
  reason: text(2000),
  incidentId: z.string().trim().min(1).max(128).nullable().default(null),
  /** When the state this one ends began (a lifted freeze: when it was set), if known. */
  previousSince: at.nullable().default(null),
});
export type FreezeMessage = z.infer<typeof FreezeMessage>;
export type FreezeMessageInput = z.input<typeof FreezeMessage>;

export type RenderedFreezeMessage = Omit<RenderedMessage, 'kind'> & { kind: 'deploy-freeze' | 'deploy-unfreeze' };

function who(by: FreezeMessage['by']): string {
  return by.name && by.name !== by.id ? `${by.name} (${by.id})` : by.id;
}

function model(m: FreezeMessage): Model {
  const pipelines = `Pipelines: GET /api/freeze/${m.environment} answers "frozen": ${m.frozen ? 'true until the freeze is lifted' : 'false'}.`;
  if (m.frozen) {
    return {
      style: 'warning',
      shortTitle: `Deploys to ${m.environment} frozen`,
      importance: 'high',
      sentence: sentences(`🧊 DEPLOY FREEZE — ${m.environment}: deploys are frozen by ${who(m.by)}`, `Reason: ${oneLine(m.reason)}`),
      facts: [
        ['Environment', m.environment],
        ['State', 'Frozen: do not deploy'],
        ['Since', utcDateTime(m.at)],
        ['By', who(m.by)],
        ['Incident', m.incidentId ?? undefined],
      ],
      sections: [{ lines: [pipelines] }],
      actions: [],
    };
  }
  return {
    style: 'good',
    shortTitle: `Deploys to ${m.environment} may resume`,
    importance: 'normal',
    sentence: sentences(`✅ DEPLOY FREEZE LIFTED — ${m.environment}: deploys may resume (lifted by ${who(m.by)})`, `Reason: ${oneLine(m.reason)}`),
    facts: [
      ['Environment', m.environment],
      ['State', 'Not frozen: deploys may resume'],
      ['Lifted', utcDateTime(m.at)],
      ['By', who(m.by)],
      ['Frozen for', m.previousSince ? duration(minutesBetween(m.previousSince, m.at)) : undefined],
      ['Incident', m.incidentId ?? undefined],
    ],
    sections: [{ lines: [pipelines] }],
    actions: [],
  };
}

/** Validates the input (zod; throws a ZodError) and renders it; `reference` goes in the footer. */
export function renderFreezeMessage(input: FreezeMessageInput | FreezeMessage, ctx: { reference: string }): RenderedFreezeMessage {
  const m = FreezeMessage.parse(input);
  return { kind: m.frozen ? 'deploy-freeze' : 'deploy-unfreeze', ...renderModel(model(m), `Deploy freeze ${m.environment} · ref ${ctx.reference}`) };
}
