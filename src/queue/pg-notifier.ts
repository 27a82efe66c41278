import { EventEmitter } from 'node:events';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Notifier } from './notifier.ts';

export interface PgNotifierOptions {
  url: string;
  /** Channels are namespaced by schema so installations sharing a server do not wake each other. */
  schema?: string;
  logger: Logger;
}

/**
 * Wake-ups across processes with LISTEN/NOTIFY. Events are emitted locally at once (no round
 * trip for the process that caused them) and sent to the others through pg_notify. One
 * dedicated connection listens; when it drops it reconnects with backoff (100 ms doubling to
 * 5 s). Meanwhile the workers' slow poll still finds the work: a lost notification costs
 * latency, never an answer.
 */
export async function createPgNotifier(o: PgNotifierOptions): Promise<Notifier> {
  const suffix = (o.schema ?? 'public').replace(/[^a-z0-9_]/g, '');
  const jobsChannel = `cercapec_jobs_${suffix}`;
  const answersChannel = `cercapec_answers_${suffix}`;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const sender = new pg.Pool({ connectionString: o.url, max: 2, application_name: 'cercapec-notify' });
  sender.on('error', (err) => o.logger.warn({ err: err.message }, 'notify pool error'));
  let listener: pg.Client | null = null;
  let closed = false;
  let delay = 100;
  let reconnectTimer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const client = new pg.Client({ connectionString: o.url, application_name: 'cercapec-listen' });
    client.on('notification', (msg) => {
      if (msg.channel === jobsChannel) events.emit(`job:${msg.payload}`);
      else if (msg.channel === answersChannel) events.emit(`answer:${msg.payload}`);
    });
    client.on('error', (err) => {
      o.logger.warn({ err: err.message }, 'LISTEN connection lost; reconnecting');
      scheduleReconnect(client);
    });
    client.on('end', () => scheduleReconnect(client));
    await client.connect();
    await client.query(`LISTEN ${jobsChannel}`);
    await client.query(`LISTEN ${answersChannel}`);
    listener = client;
    delay = 100;
    // Work may have been added while nobody listened: wake local workers once.
    events.emit('reconnected');
  }

  let reconnecting = false;
  function scheduleReconnect(client: pg.Client) {
    if (closed || listener !== client) return;
    listener = null;
    client.removeAllListeners('end');
    client.end().catch(() => {});
    if (!reconnecting) void reconnectLoop();
  }

  async function reconnectLoop(): Promise<void> {
    reconnecting = true;
    while (!closed) {
      await new Promise<void>((resolve) => {
        reconnectTimer = setTimeout(resolve, delay);
        reconnectTimer.unref();
      });
      if (closed) break;
      try {
        await connect();
        break;
      } catch (err) {
        delay = Math.min(delay * 2, 5000);
        o.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'LISTEN reconnect failed');
      }
    }
    reconnecting = false;
  }

  const send = (channel: string, payload: string) => {
    sender.query('select pg_notify($1, $2)', [channel, payload]).catch((err) => o.logger.warn({ err: err.message }, 'NOTIFY failed'));
  };

  await connect();

  return {
    jobAdded(queue) {
      events.emit(`job:${queue}`);
      send(jobsChannel, queue);
    },
    onJobAdded(queue, fn) {
      events.on(`job:${queue}`, fn);
      events.on('reconnected', fn);
      return () => {
        events.off(`job:${queue}`, fn);
        events.off('reconnected', fn);
      };
    },
    answered(requestId) {
      events.emit(`answer:${requestId}`);
      send(answersChannel, requestId);
    },
    waitForAnswer(requestId, timeoutMs, signal) {
      return new Promise((resolve) => {
        const name = `answer:${requestId}`;
        const done = (value: boolean) => {
          clearTimeout(timer);
          events.off(name, onAnswer);
          signal?.removeEventListener('abort', onAbort);
          resolve(value);
        };
        const onAnswer = () => done(true);
        const onAbort = () => done(false);
        const timer = setTimeout(() => done(false), timeoutMs);
        events.on(name, onAnswer);
        signal?.addEventListener('abort', onAbort);
      });
    },
    async close() {
      closed = true;
      clearTimeout(reconnectTimer);
      const client = listener;
      listener = null;
      await client?.end().catch(() => {});
      await sender.end().catch(() => {});
      events.removeAllListeners();
    },
  };
}
