/**
 * Gathers single requests into bulk calls: an item waits at most delayMs for others, and a full
 * batch goes at once. run() answers every item of its batch (a Map by item key); an item it
 * leaves out, or a run that throws, rejects that item's promise with the error.
 */
export interface MicroBatcher<I, O> {
  add(item: I, signal?: AbortSignal): Promise<O>;
  /** Sends what is waiting now. */
  flush(): void;
}

export interface BatcherOptions<I, O> {
  maxSize: number;
  delayMs: number;
  key(item: I): string;
  run(items: I[]): Promise<Map<string, O | Error>>;
}

export function createMicroBatcher<I, O>(o: BatcherOptions<I, O>): MicroBatcher<I, O> {
  type Waiter = { item: I; resolve(v: O): void; reject(e: unknown): void; done(): void };
  const pending: Waiter[] = [];
  let timer: NodeJS.Timeout | null = null;

  function flush() {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending.length === 0) return;
    const batch = pending.splice(0, o.maxSize);
    if (pending.length > 0) schedule();
    o.run(batch.map((w) => w.item)).then(
      (answers) => {
        for (const w of batch) {
          w.done();
          const answer = answers.get(o.key(w.item));
          if (answer === undefined) w.reject(new Error('nessuna risposta per il codice nel lotto'));
          else if (answer instanceof Error) w.reject(answer);
          else w.resolve(answer);
        }
      },
      (error) =>
        batch.forEach((w) => {
          w.done();
          w.reject(error);
        }),
    );
  }

  function schedule() {
    if (!timer) timer = setTimeout(flush, o.delayMs);
  }

  return {
    add(item, signal) {
      return new Promise<O>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        // An aborted caller stops waiting; its code may still travel in the batch (harmless).
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        pending.push({ item, resolve, reject, done: () => signal?.removeEventListener('abort', onAbort) });
        if (pending.length >= o.maxSize) flush();
        else schedule();
      });
    },
    flush,
  };
}
