/**
 * Group commit: calls that arrive while a group is being written wait and go together in the
 * next one, so N concurrent writers pay for one transaction (and, on SQLite, one WAL commit)
 * instead of N. An idle writer adds no delay beyond one turn of the event loop, which is what
 * lets the requests parsed in the same turn join one group.
 *
 * `run` answers every item of its group, in order; if it throws, every item of the group
 * rejects with that error (callers that must isolate items retry them one by one).
 */
export interface GroupCommit<I, O> {
  submit(item: I): Promise<O>;
  /** Resolves when nothing is waiting or being written (shutdown, tests). */
  drain(): Promise<void>;
}

export interface GroupCommitOptions<I, O> {
  /** Largest group: bounds a transaction's length and the statement sizes it writes. */
  maxGroup: number;
  /** Groups written at once: 1 on SQLite (one writer), a few on PostgreSQL. */
  concurrency: number;
  run(items: I[]): Promise<O[]>;
}

export function createGroupCommit<I, O>(o: GroupCommitOptions<I, O>): GroupCommit<I, O> {
  type Waiter = { item: I; resolve(v: O): void; reject(e: unknown): void };
  const waiting: Waiter[] = [];
  let writers = 0;
  let scheduled = false;
  let idle: Array<() => void> = [];

  function schedule(): void {
    if (scheduled || writers >= o.concurrency || waiting.length === 0) return;
    scheduled = true;
    setImmediate(start);
  }

  function start(): void {
    scheduled = false;
    while (writers < o.concurrency && waiting.length > 0) {
      const group = waiting.splice(0, o.maxGroup);
      writers++;
      void write(group);
    }
  }

  async function write(group: Waiter[]): Promise<void> {
    try {
      const outcomes = await o.run(group.map((w) => w.item));
      group.forEach((w, i) => {
        w.resolve(outcomes[i]);
      });
    } catch (error) {
      for (const w of group) w.reject(error);
    } finally {
      writers--;
      if (waiting.length > 0) start();
      else if (writers === 0) {
        const resolveAll = idle;
        idle = [];
        for (const r of resolveAll) r();
      }
    }
  }

  return {
    submit(item) {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        schedule();
      });
    },
    drain() {
      if (writers === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
