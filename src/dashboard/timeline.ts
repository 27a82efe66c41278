export const HOUR_MS = 3_600_000;

/**
 * The x axis of a dashboard series: the start of each bucket (epoch ms, oldest first) and the end
 * of the last one. Buckets are whole hours, or days as the caller cuts them (the back office cuts
 * Europe/Rome days, 23 or 25 hours long on the days the clocks change). The database groups by
 * hour on both dialects (integer division, no time-zone functions) and the hours are folded into
 * the buckets here: Rome's offsets are whole hours, so every UTC hour falls in one day.
 */
export interface Timeline {
  unit: 'hour' | 'day';
  starts: number[];
  end: number;
}

/** Every whole hour from the one holding `since` to the one holding `until - 1`. */
export function hourlyTimeline(since: number, until: number): Timeline {
  const starts: number[] = [];
  for (let h = Math.floor(since / HOUR_MS) * HOUR_MS; h < until; h += HOUR_MS) starts.push(h);
  return { unit: 'hour', starts, end: Math.ceil(until / HOUR_MS) * HOUR_MS };
}

/** Buckets starting at `dayStarts` (whole hours, increasing), the last ending at `end`. */
export function dailyTimeline(dayStarts: number[], end: number): Timeline {
  for (const [i, start] of dayStarts.entries()) {
    if (start % HOUR_MS !== 0) throw new Error(`day start ${start} is not a whole hour`);
    if (i > 0 && start <= dayStarts[i - 1]) throw new Error('day starts must increase');
  }
  return { unit: 'day', starts: dayStarts, end };
}

/** The bucket index of each hour number (epoch ms / HOUR_MS) of the timeline. */
export function bucketOfHour(timeline: Timeline): Map<number, number> {
  const index = new Map<number, number>();
  timeline.starts.forEach((start, i) => {
    const next = timeline.starts[i + 1] ?? timeline.end;
    for (let h = start; h < next; h += HOUR_MS) index.set(h / HOUR_MS, i);
  });
  return index;
}

/** Where the timeline's data starts and ends, for the queries' `created_at >= since and < until`. */
export function spanOf(timeline: Timeline): { since: number; until: number } {
  return { since: timeline.starts[0] ?? timeline.end, until: timeline.end };
}
