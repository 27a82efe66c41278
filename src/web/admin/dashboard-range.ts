import { dailyTimeline, HOUR_MS, hourlyTimeline, type Timeline } from '../../dashboard/timeline.ts';
import { addDays, romeDayEnd, romeDayOf, romeDayStart } from './format.ts';
import type { Messages } from './i18n.ts';

/** The longest custom range: a year, leap day included. */
export const MAX_RANGE_DAYS = 366;
/** Ranges longer than this many days are drawn per day, shorter ones per hour (72 bars at most). */
export const HOURLY_MAX_DAYS = 3;
export const PRESETS = ['today', '7d', 'month', 'last-month'] as const;
export type Preset = (typeof PRESETS)[number];

const DAY_MS = 86_400_000;

/**
 * The dashboard's period, read from the query (so it can be bookmarked): `?hours=24|48` (the
 * last hours, the default), `?range=<preset>` (relative to today, so a bookmark moves with the
 * days), or `?from=&to=` (calendar days in Europe/Rome, both included).
 */
export interface DashboardRange {
  /** The query that selects this range (for links, the CSV and the forms). */
  query: Record<string, string>;
  hours: 24 | 48 | null;
  preset: Preset | null;
  /** The first and last day (YYYY-MM-DD) of a custom or preset range; what the form shows. */
  from: string;
  to: string;
  /** [since, until) in epoch ms: what every figure counts. */
  since: number;
  until: number;
  /** The buckets of the charts: hours, or Rome's days for ranges over HOURLY_MAX_DAYS; never past now. */
  timeline: Timeline;
}

export type RangeResult = { ok: true; range: DashboardRange } | { ok: false; errors: string[]; from: string; to: string };

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1;
}

/** The first and last day of a preset, from today in Rome. */
export function presetDays(preset: Preset, today: string): { from: string; to: string } {
  const monthStart = `${today.slice(0, 7)}-01`;
  switch (preset) {
    case 'today':
      return { from: today, to: today };
    case '7d':
      return { from: addDays(today, -6), to: today };
    case 'month':
      return { from: monthStart, to: today };
    case 'last-month': {
      const lastDay = addDays(monthStart, -1);
      return { from: `${lastDay.slice(0, 7)}-01`, to: lastDay };
    }
  }
}

/** Reads the range from the query; mistakes come back in the person's language, with what they typed. */
export function readRange(query: { hours: string; range: string; from: string; to: string }, now: number, t: Messages): RangeResult {
  const today = romeDayOf(now);
  if ((PRESETS as readonly string[]).includes(query.range)) {
    const preset = query.range as Preset;
    return { ok: true, range: dayRange(presetDays(preset, today), now, { range: preset }, preset) };
  }
  if (query.from === '' && query.to === '') return { ok: true, range: hoursRange(query.hours === '48' ? 48 : 24, now, today) };
  const errors: string[] = [];
  const from = query.from;
  const to = query.to === '' ? today : query.to;
  if (from === '') errors.push(t.rangeFromRequired);
  else if (romeDayStart(from) === null) errors.push(t.rangeBadDate(t.dateFrom, from));
  if (romeDayStart(to) === null) errors.push(t.rangeBadDate(t.dateTo, to));
  if (errors.length === 0) {
    if (to < from) errors.push(t.rangeReversed);
    else if (daysBetween(from, to) > MAX_RANGE_DAYS) errors.push(t.rangeTooLong(MAX_RANGE_DAYS));
    else if (from > today) errors.push(t.rangeInFuture);
  }
  if (errors.length > 0) return { ok: false, errors, from: query.from, to: query.to };
  return { ok: true, range: dayRange({ from, to }, now, { from, to }, null) };
}

function hoursRange(hours: 24 | 48, now: number, today: string): DashboardRange {
  // Whole hours: the current one plus the hours - 1 before it.
  const since = (Math.floor(now / HOUR_MS) - hours + 1) * HOUR_MS;
  const until = now + 1;
  return {
    query: hours === 24 ? {} : { hours: '48' },
    hours,
    preset: null,
    from: romeDayOf(since),
    to: today,
    since,
    until,
    timeline: hourlyTimeline(since, until),
  };
}

function dayRange(days: { from: string; to: string }, now: number, query: Record<string, string>, preset: Preset | null): DashboardRange {
  const since = romeDayStart(days.from) as number;
  const until = romeDayEnd(days.to) as number;
  // The charts stop at the current hour (or today): no empty buckets for the future.
  const drawnUntil = Math.min(until, (Math.floor(now / HOUR_MS) + 1) * HOUR_MS);
  const count = daysBetween(days.from, days.to);
  let timeline: Timeline;
  if (count <= HOURLY_MAX_DAYS) timeline = hourlyTimeline(since, Math.max(since + 1, drawnUntil));
  else {
    const starts: number[] = [];
    for (let d = days.from; d <= days.to; d = addDays(d, 1)) {
      const start = romeDayStart(d) as number;
      if (start >= drawnUntil && starts.length > 0) break;
      starts.push(start);
    }
    timeline = dailyTimeline(starts, romeDayEnd(romeDayOf(starts[starts.length - 1])) as number);
  }
  return { query, hours: null, preset, from: days.from, to: days.to, since, until, timeline };
}
