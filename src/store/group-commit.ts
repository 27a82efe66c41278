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

export interface LanedGroupCommitOptions<I, O> extends Omit<GroupCommitOptions<I, O>, 'concurrency'> {
  /** Independent lanes. */
  lanes: number;
  /**
   * Groups a lane writes at once (1 by default). With 2, the next group of an account gets
   * ready (its reads) and waits at the account's row lock while the previous one commits.
   */
  perLane?: number;
  /** Items with the same key always go to the same lane (e.g. the account whose row a group locks). */
  keyOf(item: I): string;
}

/**
 * Group commit in lanes, for a database with several writers (PostgreSQL). A group locks the
 * rows of its accounts; two groups holding submissions of one account would only queue on that
 * lock, each paying its own commit. Keyed lanes keep an account's submissions in one lane, so
 * they form one larger group instead, while other accounts' groups commit beside it.
 */
export function createLanedGroupCommit<I, O>(o: LanedGroupCommitOptions<I, O>): GroupCommit<I, O> {
  const lanes = Array.from({ length: Math.max(1, o.lanes) }, () => createGroupCommit<I, O>({ maxGroup: o.maxGroup, concurrency: o.perLane ?? 1, run: o.run }));
  return {
    submit: (item) => lanes[laneIndex(o.keyOf(item), lanes.length)].submit(item),
    drain: async () => {
      await Promise.all(lanes.map((l) => l.drain()));
    },
  };
}

/** FNV-1a: a cheap, stable spread of keys over lanes. */
function laneIndex(key: string, count: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % count;
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
