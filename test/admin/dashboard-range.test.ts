/**
 * The dashboard's period: presets from today in Europe/Rome (by the injected clock), custom
 * days validated with Italian messages, and the charts' buckets: hours up to 3 days, Rome's
 * days beyond, 23 and 25 hours long on the days the clocks change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readRange, presetDays, type RangeResult } from '../../src/web/admin/dashboard-range.ts';
import { romeDayOf } from '../../src/web/admin/format.ts';
import { MESSAGES } from '../../src/web/admin/i18n.ts';
import { envNameOf, loadConfig } from '../../src/config.ts';

const H = 3_600_000;
const it = MESSAGES.it;
const ask = (q: Partial<{ hours: string; range: string; from: string; to: string }>, now: number): RangeResult =>
  readRange({ hours: '', range: '', from: '', to: '', ...q }, now, it);
function ok(r: RangeResult) {
  assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
  return r.range;
}

test('"today" is the Rome day: 00:30 in Rome on 1 December is still 30 November in UTC', () => {
  const now = Date.UTC(2026, 10, 30, 23, 30); // 00:30 CET on 1 December
  assert.equal(romeDayOf(now), '2026-12-01');
  const today = ok(ask({ range: 'today' }, now));
  assert.deepEqual([today.from, today.to], ['2026-12-01', '2026-12-01']);
  assert.equal(today.since, Date.UTC(2026, 10, 30, 23));
  assert.equal(today.until, Date.UTC(2026, 11, 1, 23));
  // Drawn per hour up to the current one: 23:00Z only.
  assert.deepEqual(today.timeline, { unit: 'hour', starts: [Date.UTC(2026, 10, 30, 23)], end: Date.UTC(2026, 11, 1, 0) });
});

test('presets: last 7 days, this month, last month (across a year end)', () => {
  assert.deepEqual(presetDays('7d', '2026-03-03'), { from: '2026-02-25', to: '2026-03-03' });
  assert.deepEqual(presetDays('month', '2026-03-03'), { from: '2026-03-01', to: '2026-03-03' });
  assert.deepEqual(presetDays('last-month', '2026-03-03'), { from: '2026-02-01', to: '2026-02-28' });
  assert.deepEqual(presetDays('last-month', '2027-01-15'), { from: '2026-12-01', to: '2026-12-31' });
  const r = ok(ask({ range: 'last-month' }, Date.UTC(2026, 10, 28, 9)));
  assert.deepEqual(r.query, { range: 'last-month' });
  assert.equal(r.timeline.unit, 'day');
  assert.equal(r.timeline.starts.length, 31);
  // October 2026 ends on CET, after the 25-hour 25 October.
  assert.equal(r.since, Date.UTC(2026, 8, 30, 22));
  assert.equal(r.until, Date.UTC(2026, 9, 31, 23));
});

test('no period: the last 24 hours, or 48, per hour as before', () => {
  const now = Date.UTC(2026, 10, 28, 9, 5);
  const r = ok(ask({}, now));
  assert.equal(r.hours, 24);
  assert.deepEqual(r.query, {});
  assert.equal(r.timeline.starts.length, 24);
  assert.equal(r.timeline.starts.at(-1), Date.UTC(2026, 10, 28, 9));
  assert.equal(ok(ask({ hours: '48' }, now)).timeline.starts.length, 48);
});

test('spring forward: 29 March 2026 is a 23-hour day in Rome, and days are cut at Rome midnight', () => {
  const r = ok(ask({ from: '2026-03-28', to: '2026-03-31' }, Date.UTC(2026, 5, 1)));
  assert.equal(r.timeline.unit, 'day', 'over 3 days: per day');
  assert.deepEqual(r.timeline.starts, [Date.UTC(2026, 2, 27, 23), Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22), Date.UTC(2026, 2, 30, 22)]);
  assert.equal(r.timeline.end, Date.UTC(2026, 2, 31, 22));
  assert.equal(r.timeline.starts[2] - r.timeline.starts[1], 23 * H);
  assert.deepEqual(r.query, { from: '2026-03-28', to: '2026-03-31' });
});

test('fall back: 25 October 2026 is a 25-hour day; a 3-day period stays per hour (73 hours)', () => {
  const r = ok(ask({ from: '2026-10-24', to: '2026-10-26' }, Date.UTC(2026, 11, 1)));
  assert.equal(r.timeline.unit, 'hour');
  assert.equal(r.since, Date.UTC(2026, 9, 23, 22));
  assert.equal(r.until, Date.UTC(2026, 9, 26, 23));
  assert.equal(r.timeline.starts.length, 24 + 25 + 24);
  const days = ok(ask({ from: '2026-10-24', to: '2026-10-27' }, Date.UTC(2026, 11, 1))).timeline;
  assert.equal(days.starts[2] - days.starts[1], 25 * H);
});

test('a period reaching into the future is drawn up to now', () => {
  const now = Date.UTC(2026, 10, 28, 9, 5);
  const r = ok(ask({ from: '2026-11-20', to: '2026-12-10' }, now));
  assert.equal(r.until, Date.UTC(2026, 11, 10, 23), 'the figures count the whole period');
  assert.equal(r.timeline.starts.length, 9, '20 to 28 November');
  assert.equal(r.timeline.end, Date.UTC(2026, 10, 28, 23));
  // Only "from": up to today.
  assert.equal(ok(ask({ from: '2026-11-20' }, now)).to, '2026-11-28');
});

test('mistakes are told in Italian, with what was typed kept', () => {
  const now = Date.UTC(2026, 10, 28, 9);
  const errorsOf = (q: Parameters<typeof ask>[0]) => {
    const r = ask(q, now);
    assert.ok(!r.ok, JSON.stringify(q));
    return r;
  };
  const reversed = errorsOf({ from: '2026-11-20', to: '2026-11-10' });
  assert.deepEqual(reversed.errors, ['La data di fine è precedente alla data di inizio.']);
  assert.deepEqual([reversed.from, reversed.to], ['2026-11-20', '2026-11-10']);
  assert.deepEqual(errorsOf({ from: '2026-02-30', to: '2026-03-02' }).errors, ['Dal: «2026-02-30» non è una data valida (usa AAAA-MM-GG).']);
  assert.deepEqual(errorsOf({ from: '20/11/2026', to: 'ieri' }).errors, [
    'Dal: «20/11/2026» non è una data valida (usa AAAA-MM-GG).',
    'Al: «ieri» non è una data valida (usa AAAA-MM-GG).',
  ]);
  assert.deepEqual(errorsOf({ to: '2026-11-10' }).errors, ['Indica la data di inizio del periodo.']);
  assert.deepEqual(errorsOf({ from: '2025-11-01', to: '2026-11-27' }).errors, ['Il periodo può durare al massimo 366 giorni.']);
  assert.deepEqual(errorsOf({ from: '2026-12-01', to: '2026-12-02' }).errors, ['La data di inizio è nel futuro.']);
  // 366 days is allowed (2028 is a leap year).
  ok(ask({ from: '2028-01-01', to: '2028-12-31' }, Date.UTC(2029, 0, 5)));
  const en = readRange({ hours: '', range: '', from: '2026-11-20', to: '2026-11-10' }, now, MESSAGES.en);
  assert.ok(!en.ok && en.errors[0] === 'The last day is before the first day.');
});

test('the low-balance threshold is a setting with its derived environment variable', () => {
  assert.equal(envNameOf('lowBalanceCents'), 'CERCAPEC_LOW_BALANCE_CENTS');
  assert.equal(loadConfig({}, {}).lowBalanceCents, 1000);
  assert.equal(loadConfig({}, { CERCAPEC_LOW_BALANCE_CENTS: '2500' }).lowBalanceCents, 2500);
  assert.throws(() => loadConfig({}, { CERCAPEC_LOW_BALANCE_CENTS: '-1' }), /lowBalanceCents/);
});
