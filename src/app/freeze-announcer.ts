/**
 * Deploy-freeze announcements in Teams: a freeze or its lifting (POST /api/freeze/{env} by a
 * person or a pipeline, or an incident's rollback) is posted in the environment's Teams channel
 * (the policy's `environments.<env>.teams`, else its top-level `teams`, else the app's configured
 * channel), through the Teams port of the app (channel, activity feed or local sink).
 *
 * Once per freeze record (environment + state + `since`): the step ledger records the post, so a
 * retried request answers "announced before" instead of posting again; after an interrupted
 * attempt the channel is searched for the message's reference first. The freeze never waits on
 * Teams for longer than `budgetMs`: past that the answer says the announcement is still pending
 * (it goes on in the background, and a later retry finds or finishes it).
 */
import { messageReference, outgoingOf } from '../activities/teams.js';
import { renderFreezeAnnouncement } from '../adapters/log-freeze-announcer.js';
import type { Policy } from '../config/policy.js';
import type { TeamsSettingsResult } from '../config/teams.js';
import { renderFreezeMessage } from '../domain/messages/freeze.js';
import { freezeChannel, type ChannelChoice } from '../domain/teams-routing.js';
import type { StepKey, StepLedger } from '../ports/ledger.js';
import type { AnnouncementReceipt, FreezeAnnouncement, FreezeAnnouncer } from '../ports/release-registry.js';
import type { ChannelPort } from '../ports/channel.js';
import type { ChannelDestination, Delivered, OutgoingMessage } from '../ports/teams.js';
import { getLedger } from './ledger.js';
import { loadPolicy } from './policy-source.js';
import { appTeamsSettings, getTeamsPort } from './teams.js';
import { errorLine, errorText } from '../domain/errors.js';

export interface FreezeReceipt extends AnnouncementReceipt {
  delivery: ChannelPort['mode'];
  /** Where it was posted; null: the app's configured channel. */
  destination: ChannelDestination | null;
  /** Which part of the policy chose the channel. */
  source: 'environment' | 'policy' | 'settings';
  messageId: string;
  /** Found in the channel after an interrupted attempt, not posted again. */
  reconciled: boolean;
  /** Posted again after an interrupted attempt that could not be looked for (no permission to read the channel): it may show twice. */
  possibleDuplicate?: boolean;
}

export interface TeamsFreezeAnnouncerDeps {
  /** May throw (invalid Teams settings): the announcement then fails, the freeze stands. */
  teams: () => ChannelPort;
  ledger: () => StepLedger;
  /** May throw (no policy, invalid policy): the configured channel is used. */
  policy: () => Policy;
  log: (line: string) => void;
  /** How long the caller waits for Teams (throttling and outages included). */
  budgetMs: number;
  now?: () => number;
}

/** The ledger key of a freeze record's announcement. */
export function freezeAnnouncementKey(a: Pick<FreezeAnnouncement, 'env' | 'frozen' | 'at'>): StepKey {
  return { incidentId: `freeze:${a.env.toLowerCase()}`, step: `announce/${a.frozen ? 'freeze' : 'unfreeze'}/${a.at}` };
}

export class TeamsFreezeAnnouncer implements FreezeAnnouncer {
  readonly channel = 'teams';
  readonly idempotent = true;
  private readonly now: () => number;

  constructor(private readonly deps: TeamsFreezeAnnouncerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async announce(a: FreezeAnnouncement): Promise<FreezeReceipt | AnnouncementReceipt> {
    this.deps.log(renderFreezeAnnouncement(a));
    const work = this.deliver(a);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.deps.budgetMs + 1000);
    });
    try {
      const r = await Promise.race([work, late]);
      if (r !== 'late') return r;
    } finally {
      clearTimeout(timer);
    }
    // Queued behind other messages of the channel (or Graph is slow): it is not dropped.
    work.catch((err: unknown) => this.deps.log(`Announcing the freeze change of ${a.env} failed after the answer: ${errorText(err)}`));
    return { pending: true, summary: `Still queued for Teams after ${Math.round(this.deps.budgetMs / 1000)} s; it goes out when the channel is free (retry the request to check).` };
  }

  private route(env: string): ChannelChoice & { source: FreezeReceipt['source'] } {
    try {
      return freezeChannel(this.deps.policy(), env);
    } catch (err) {
      return { destination: undefined, source: 'settings', problem: `the policy could not be read (${errorLine(err)})` };
    }
  }

  private async deliver(a: FreezeAnnouncement): Promise<FreezeReceipt | AnnouncementReceipt> {
    const teams = this.deps.teams();
    const route = this.route(a.env);
    if (route.problem) this.deps.log(`Deploy freeze of ${a.env}: ${route.problem}; announcing in the app's configured Teams channel.`);
    const key = freezeAnnouncementKey(a);
    const reference = messageReference(key.incidentId, key.step);
    const rendered = renderFreezeMessage(
      { kind: 'deploy-freeze', environment: a.env, frozen: a.frozen, at: a.at, by: a.by, reason: a.reason, incidentId: a.incidentId, previousSince: a.previousSince ?? null },
      { reference },
    );
    const outgoing: OutgoingMessage = { ...outgoingOf(rendered, reference, a.incidentId ?? key.incidentId), topic: `Deploy freeze ${a.env}` };
    const receipt = (d: Delivered, reconciled: boolean): FreezeReceipt => ({
      delivery: d.mode,
      destination: d.destination ?? route.destination ?? null,
      source: route.source,
      messageId: d.messageId,
      reconciled,
      previously: false,
    });
    const ledger = this.deps.ledger();
    const startedAt = this.now();
    const claim = await ledger.start<FreezeReceipt>(key, new Date(startedAt).toISOString());
    let unsearchable = false;
    if (!claim.fresh) {
      if (claim.existing.state === 'done') return { ...claim.existing.outcome, previously: true };
      const since = Date.parse(claim.existing.startedAt);
      // An earlier attempt may post until its deadline (budgetMs) and a request sent just before it
      // may take one more request timeout (the same figure): posting before both pass could post twice.
      const settledAt = since + 2 * this.deps.budgetMs;
      if (startedAt < settledAt) {
        return { pending: true, summary: `An earlier attempt started at ${claim.existing.startedAt} may still be posting it; retry in ${Math.ceil((settledAt - startedAt) / 1000)} s.` };
      }
      const found = await teams.find(reference, undefined, route.destination).catch(() => 'unknown' as const);
      if (found && found !== 'unknown') return ledger.finish(key, receipt(found, true), new Date(this.now()).toISOString());
      unsearchable = found === 'unknown';
    }
    // A delivery failure is thrown before anything is recorded: the next attempt tries again.
    const d = await teams.post(outgoing, { deadline: startedAt + this.deps.budgetMs, ...(route.destination ? { destination: route.destination } : {}) });
    return ledger.finish(key, { ...receipt(d, false), ...(unsearchable ? { possibleDuplicate: true } : {}) }, new Date(this.now()).toISOString());
  }
}

/** How long a freeze answer waits for Teams: one Graph request timeout (TEAMS_GRAPH_TIMEOUT_MS, 15 s). */
export function freezeAnnouncementBudgetMs(s: TeamsSettingsResult): number {
  return s.ok && s.settings.delivery !== 'local' ? s.settings.graph.timeoutMs : 15_000;
}

/** The app's freeze announcer (plugged in with `useFreezeAnnouncer`, src/app/freeze-announcer-choice.ts, by functions/teams-activities.ts). */
export function teamsFreezeAnnouncer(log: (line: string) => void): TeamsFreezeAnnouncer {
  return new TeamsFreezeAnnouncer({
    teams: () => getTeamsPort(),
    ledger: getLedger,
    policy: () => loadPolicy(),
    log,
    budgetMs: freezeAnnouncementBudgetMs(appTeamsSettings()),
  });
}
