import { EventEmitter } from 'node:events';

/**
 * Wake-ups inside one process: workers wake when a job is added, long polls when their request
 * is answered. Another implementation (LISTEN/NOTIFY) carries the same events across processes;
 * workers also poll slowly, so a lost wake-up only costs latency, never an answer.
 */
export interface Notifier {
  jobAdded(queue: string): void;
  onJobAdded(queue: string, listener: () => void): () => void;
  answered(requestId: string): void;
  /** Keys, accounts or their terms changed (in this process or, on PostgreSQL, in another). */
  authChanged(): void;
  onAuthChanged(listener: () => void): () => void;
  /** Resolves true when the request is answered, false on timeout or abort. */
  waitForAnswer(requestId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  close(): Promise<void>;
}

export function createLocalNotifier(): Notifier {
  const events = new EventEmitter();
  events.setMaxListeners(0);
  return {
    jobAdded(queue) {
      events.emit(`job:${queue}`);
    },
    onJobAdded(queue, listener) {
      events.on(`job:${queue}`, listener);
      return () => events.off(`job:${queue}`, listener);
    },
    answered(requestId) {
      events.emit(`answer:${requestId}`);
    },
    authChanged() {
      events.emit('auth');
    },
    onAuthChanged(listener) {
      events.on('auth', listener);
      return () => events.off('auth', listener);
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
      events.removeAllListeners();
    },
  };
}
