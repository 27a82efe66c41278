import { formatEuro } from '../../resources/money.ts';
import type { Lang } from './i18n.ts';

/** The back office shows times where its people are. */
export const TIME_ZONE = 'Europe/Rome';

const LOCALE: Record<Lang, string> = { it: 'it-IT', en: 'en-GB' };

export function formatDateTime(lang: Lang, ms: number | null): string {
  if (ms === null) return '–';
  return new Intl.DateTimeFormat(LOCALE[lang], { timeZone: TIME_ZONE, dateStyle: 'short', timeStyle: 'medium' }).format(ms);
}

export function formatTime(lang: Lang, ms: number): string {
  return new Intl.DateTimeFormat(LOCALE[lang], { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit' }).format(ms);
}

/** Euro for people: a decimal comma in Italian, a dot in English. */
export function formatMoney(lang: Lang, cents: number): string {
  const text = formatEuro(cents);
  return lang === 'it' ? text.replace('.', ',') : text;
}

/** "850 ms", "12 s", "4 min", "3 h 20 min", "2 g 5 h". */
export function formatDuration(lang: Lang, ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} ${lang === 'it' ? 'g' : 'd'} ${h % 24} h`;
}

/**
 * The instant a calendar day (YYYY-MM-DD) starts in Europe/Rome: date filters mean the days
 * people see on the pages. The offset is read from Intl for that day (CET or CEST).
 */
export function romeDayStart(day: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const utcMidnight = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (Number.isNaN(utcMidnight) || new Date(utcMidnight).toISOString().slice(0, 10) !== day) return null;
  // Rome is UTC+1 or +2, so its midnight is 22:00 or 23:00 UTC the day before.
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, hour: '2-digit', hourCycle: 'h23' }).formatToParts(utcMidnight);
  const romeHour = Number(parts.find((p) => p.type === 'hour')?.value ?? '1');
  return utcMidnight - romeHour * 3_600_000;
}

/** The instant the day after `day` starts in Europe/Rome: the end of an inclusive date filter. */
export function romeDayEnd(day: string): number | null {
  if (romeDayStart(day) === null) return null;
  return romeDayStart(addDays(day, 1));
}

const ROME_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** The calendar day (YYYY-MM-DD) an instant falls in, in Europe/Rome. */
export function romeDayOf(ms: number): string {
  return ROME_DAY.format(ms);
}

/** A calendar day (YYYY-MM-DD) moved by `n` days. */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** The calendar month (YYYY-MM) an instant falls in, in Europe/Rome: statements are by Rome's months. */
export function romeMonth(ms: number): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit' }).formatToParts(ms);
  return `${parts.find((p) => p.type === 'year')?.value}-${parts.find((p) => p.type === 'month')?.value}`;
}
