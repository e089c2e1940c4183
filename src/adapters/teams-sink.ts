/**
 * The local sink: what would be posted to Teams, written to the console (readable text) and
 * appended to a JSON-lines file (the full card too), when Graph is not configured. Local runs and
 * drills show exactly the messages, threads and buttons the channel would get.
 */
import { appendFile, mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ChannelDestination, Delivered, DeliveryOptions, FindResult, NotifyOptions, OutgoingMessage, TeamsPort } from '../ports/teams.js';

export interface SinkRecord {
  at: string;
  op: 'post' | 'reply' | 'notify';
  mode: 'local';
  messageId: string;
  threadId: string;
  reference: string;
  incidentId: string;
  kind: string;
  importance: string;
  headline: string;
  text: string;
  link?: string;
  /** The channel it would be posted in; null: the app's configured channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID). */
  destination: ChannelDestination | null;
  /** Notifications: the people it would page; null: the configured recipients (TEAMS_ACTIVITY_RECIPIENTS). */
  recipients?: string[] | null;
  card: unknown;
}

/** How much of the file `find` reads (the newest part): a bound, not a correctness limit. */
const FIND_TAIL_BYTES = 4 * 1024 * 1024;

export class LocalSinkTeams implements TeamsPort {
  readonly mode = 'local' as const;
  readonly canNotify = true;
  private ready: Promise<unknown> | undefined;

  constructor(
    readonly file: string,
    private readonly o: { console?: (text: string) => void; now?: () => Date } = {},
  ) {}

  private async write(op: SinkRecord['op'], message: OutgoingMessage, threadId: string | undefined, options: NotifyOptions): Promise<Delivered> {
    this.ready ??= mkdir(path.dirname(this.file), { recursive: true });
    await this.ready;
    const messageId = `local:${message.reference}`;
    const recipients = op === 'notify' ? (options.recipients ? [...options.recipients] : null) : undefined;
    const record: SinkRecord = {
      at: (this.o.now?.() ?? new Date()).toISOString(),
      op,
      mode: 'local',
      messageId,
      threadId: threadId ?? messageId,
      reference: message.reference,
      incidentId: message.incidentId,
      kind: message.kind,
      importance: message.importance,
      headline: message.headline,
      text: message.text,
      ...(message.link ? { link: message.link } : {}),
      destination: options.destination ?? null,
      ...(recipients !== undefined ? { recipients } : {}),
      card: message.card,
    };
    await appendFile(this.file, `${JSON.stringify(record)}\n`, 'utf8');
    const channel = options.destination ? `channel ${options.destination.channelId} of team ${options.destination.teamId}` : 'the configured channel';
    const where =
      op === 'reply'
        ? `reply in ${record.threadId}, ${channel}`
        : op === 'notify'
          ? `activity notification to ${recipients ? recipients.join(', ') : 'the configured recipients'}`
          : `new thread in ${channel}`;
    const print = this.o.console ?? ((t: string) => process.stdout.write(`${t}\n`));
    print(`── Teams (local sink: ${where}) ${'─'.repeat(20)}\n${message.text}\n${'─'.repeat(50)}`);
    return {
      mode: 'local',
      messageId,
      threadId: record.threadId,
      attempts: 1,
      throttled: 0,
      ...(options.destination ? { destination: options.destination } : {}),
      ...(recipients ? { recipients: recipients.length, notified: recipients, unreached: [] } : {}),
    };
  }

  post(message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered> {
    return this.write('post', message, undefined, options);
  }

  reply(threadId: string, message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered> {
    return this.write('reply', message, threadId, options);
  }

  notify(message: OutgoingMessage, options: NotifyOptions): Promise<Delivered> {
    return this.write('notify', message, options.threadId, options);
  }

  async find(reference: string): Promise<FindResult> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch {
      return undefined;
    }
    const start = Math.max(0, size - FIND_TAIL_BYTES);
    const handle = await open(this.file, 'r');
    let text: string;
    try {
      const buf = Buffer.alloc(size - start);
      await handle.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      await handle.close();
    }
    for (const line of text.split('\n').reverse()) {
      if (!line.includes(reference)) continue;
      try {
        const r = JSON.parse(line) as SinkRecord;
        if (r.reference === reference) {
          return { mode: 'local', messageId: r.messageId, threadId: r.threadId, attempts: 0, throttled: 0, ...(r.destination ? { destination: r.destination } : {}) };
        }
      } catch {
        // A line cut by the tail bound, or by a crash mid-write.
      }
    }
    return undefined;
  }

  /** Every record in the file (tests and the drill report). */
  static async readAll(file: string): Promise<SinkRecord[]> {
    const text = await readFile(file, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as SinkRecord);
  }
}
