import { randomUUID } from 'node:crypto';
import type { Clock } from '../../clock.ts';

export type ListState = 'PRESA_IN_CARICO' | 'IN_ELABORAZIONE' | 'DISPONIBILE';

interface BulkList {
  codes: string[];
  reference: string;
  createdAt: number;
  polls: number;
}

/** INAD deletes a list 48 hours after it was asked. */
const RETENTION_MS = 48 * 3_600_000;

/**
 * The stand-in's bulk lists. A list is PRESA_IN_CARICO at the first state check,
 * IN_ELABORAZIONE at the next ones, and DISPONIBILE from check number readyAfterPolls on: the
 * client's polling loop runs through every state without the test waiting for real time.
 */
export function createBulkLists(clock: Clock, readyAfterPolls: number) {
  const lists = new Map<string, BulkList>();

  function live(id: string): BulkList | undefined {
    const list = lists.get(id);
    if (list && clock.now() - list.createdAt > RETENTION_MS) {
      lists.delete(id);
      return undefined;
    }
    return list;
  }

  return {
    create(codes: string[], reference: string): string {
      const id = randomUUID();
      lists.set(id, { codes, reference, createdAt: clock.now(), polls: 0 });
      return id;
    },
    /** One state check: the state it finds (and counts), or null for an unknown or expired list. */
    poll(id: string): ListState | null {
      const list = live(id);
      if (!list) return null;
      list.polls += 1;
      if (list.polls >= readyAfterPolls) return 'DISPONIBILE';
      return list.polls === 1 ? 'PRESA_IN_CARICO' : 'IN_ELABORAZIONE';
    },
    /** The codes of a list that is ready, or null (unknown, expired or still being prepared). */
    codes(id: string): string[] | null {
      const list = live(id);
      return list && list.polls >= readyAfterPolls ? list.codes : null;
    },
    /** What the lists were asked with, for tests. */
    references: () => [...lists.values()].map((l) => l.reference),
  };
}

export type BulkLists = ReturnType<typeof createBulkLists>;
