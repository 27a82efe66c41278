import pg from 'pg';
import type { Logger } from 'pino';
import { createLocalNotifier, type Notifier } from './notifier.ts';
import { channelName } from '../store/channels.ts';

export { channelName };

export interface PgNotifierOptions {
  url: string;
  /** Channels are namespaced by schema so installations (and test suites) sharing a database do not wake each other. */
  schema?: string;
  logger: Logger;
  /** application_name of the LISTEN connection, to find it in pg_stat_activity. */
  applicationName?: string;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5000;

/**
 * Wake-ups across processes with LISTEN/NOTIFY, behind the same interface as the local
 * notifier (whose listeners it reuses, so they behave exactly alike). An event is emitted here
 * at once, without a round trip, and sent to every process through pg_notify; the sender hears
 * its own notification too and wakes a second time, which only costs a claim query.
 *
 * One dedicated connection listens. When it drops, it reconnects after 100 ms, doubling to
 * 5 s, and LISTENs again; then it wakes the local workers once, for the jobs added while it
 * was deaf. Meanwhile the workers' slow poll still finds the work: a lost notification costs
 * latency (a long poll waits until its timeout), never an answer.
 */
export async function createPgNotifier(o: PgNotifierOptions): Promise<Notifier> {
  const jobsChannel = channelName('jobs', o.schema);
  const answersChannel = channelName('answers', o.schema);
  const authChannel = channelName('auth', o.schema);
  const local = createLocalNotifier();
  // Queues with a listener here, to wake them all after a reconnection.
  const queues = new Map<string, number>();
  const sender = new pg.Pool({ connectionString: o.url, max: 2, application_name: 'cercapec-notify', connectionTimeoutMillis: 5000, keepAlive: true });
  sender.on('error', () => {}); // an idle connection that dies is dropped; the next query opens another
  let sendFailing = false;
  let listener: pg.Client | null = null;
  let connecting: Promise<void> | null = null;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let endWait: (() => void) | undefined;

  async function connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: o.url,
      application_name: o.applicationName ?? 'cercapec-listen',
      keepAlive: true,
      connectionTimeoutMillis: 5000,
    });
    client.on('notification', (msg) => {
      if (msg.channel === jobsChannel && msg.payload) local.jobAdded(msg.payload);
      else if (msg.channel === answersChannel && msg.payload) local.answered(msg.payload);
      else if (msg.channel === authChannel) local.authChanged();
    });
    client.on('error', (err) => lost(client, err.message));
    client.on('end', () => lost(client, 'connection ended'));
    try {
      await client.connect();
      await client.query(
        `LISTEN ${client.escapeIdentifier(jobsChannel)}; LISTEN ${client.escapeIdentifier(answersChannel)}; LISTEN ${client.escapeIdentifier(authChannel)}`,
      );
    } catch (err) {
      client.removeAllListeners('end');
      client.removeAllListeners('error');
      client.on('error', () => {});
      await client.end().catch(() => {});
      throw err;
    }
    if (closed) {
      await client.end().catch(() => {});
      return;
    }
    listener = client;
  }

  function lost(client: pg.Client, reason: string) {
    if (closed || listener !== client) return;
    listener = null;
    // The reason is a server or socket message; the URL (and its password) is never logged.
    o.logger.warn({ reason }, 'LISTEN connection lost; reconnecting');
    client.end().catch(() => {});
    connecting ??= reconnect().finally(() => (connecting = null));
  }

  async function reconnect(): Promise<void> {
    for (let delay = FIRST_RETRY_MS; !closed; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
      await new Promise<void>((resolve) => {
        endWait = resolve;
        retryTimer = setTimeout(resolve, delay);
        retryTimer.unref();
      });
      if (closed) return;
      try {
        await connect();
        if (closed) return;
        o.logger.info('LISTEN connection re-established');
        for (const queue of queues.keys()) local.jobAdded(queue);
        // A revocation may have come while deaf: forget every cached key.
        local.authChanged();
        return;
      } catch (err) {
        o.logger.warn({ reason: (err as Error).message, retryInMs: Math.min(delay * 2, MAX_RETRY_MS) }, 'LISTEN reconnection failed');
      }
    }
  }

  // Notifications wait for the end of the event loop's turn and go in one statement: the
  // workers' answers and the queue's wake-ups come many at a time, and one pg_notify query (a
  // round trip and a transaction) each was once most of what PostgreSQL spent per submission.
  const pending = new Map<string, Set<string>>();
  let flushScheduled = false;

  function send(channel: string, payload: string) {
    if (closed) return;
    const payloads = pending.get(channel);
    if (payloads) payloads.add(payload);
    else pending.set(channel, new Set([payload]));
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  }

  function flush() {
    flushScheduled = false;
    if (pending.size === 0) return;
    const channels: string[] = [];
    const payloads: string[] = [];
    for (const [channel, set] of pending) {
      for (const payload of set) {
        channels.push(channel);
        payloads.push(payload);
      }
    }
    pending.clear();
    // One transaction: listeners still get each notification (distinct payloads are never folded).
    sender.query('select pg_notify(n.c, n.p) from unnest($1::text[], $2::text[]) as n(c, p)', [channels, payloads]).then(
      () => {
        if (sendFailing) o.logger.info('NOTIFY works again');
        sendFailing = false;
      },
      (err: Error) => {
        // Once per outage, not once per submission.
        if (!sendFailing) o.logger.warn({ reason: err.message }, 'NOTIFY failed; other processes will find the work by polling');
        sendFailing = true;
      },
    );
  }

  try {
    await connect();
  } catch (err) {
    await sender.end().catch(() => {});
    throw err;
  }

  return {
    jobAdded(queue) {
      local.jobAdded(queue);
      send(jobsChannel, queue);
    },
    onJobAdded(queue, fn) {
      queues.set(queue, (queues.get(queue) ?? 0) + 1);
      const off = local.onJobAdded(queue, fn);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        off();
        const left = (queues.get(queue) ?? 1) - 1;
        if (left > 0) queues.set(queue, left);
        else queues.delete(queue);
      };
    },
    answered(requestId) {
      local.answered(requestId);
      send(answersChannel, requestId);
    },
    waitForAnswer: (requestId, timeoutMs, signal) => local.waitForAnswer(requestId, timeoutMs, signal),
    // Sent by the changing transaction itself (recordAuthChange), heard here after its commit.
    authChanged: () => local.authChanged(),
    onAuthChanged: (fn) => local.onAuthChanged(fn),
    async close() {
      if (closed) return;
      // What was sent in this turn still goes out.
      flush();
      closed = true;
      clearTimeout(retryTimer);
      endWait?.();
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
      await connecting?.catch(() => {});
      await sender.end().catch(() => {});
      await local.close();
    },
  };
}
