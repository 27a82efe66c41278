import { parseEuro } from '../resources/money.ts';
import { ClientError, ClientErrorCode } from './client-error.ts';
import type { CancelResult, PollResult, SubmitResult } from './transport.ts';

/**
 * Reading the text protocol's answer lines (README, "The protocol, answer by answer"). Lines that
 * say the key is wrong throw, because no other request with that key can succeed either.
 */

const DUPLICATE = 'Richiesta già presente';
const NOTHING_TO_DELETE = 'Nessuna richiesta presente per questo codice';
const KEY_PROBLEMS = ['Chiave non valida o disabilitata', 'Parametro key mancante'];

interface Line {
  status: string;
  rest: string[];
}

function split(line: string): Line | null {
  const parts = line.trim().split('|');
  if (parts.length < 2) return null;
  // The original's own examples write "Ok||pec non trovata": compare case-insensitively.
  return { status: parts[0].toUpperCase(), rest: parts.slice(1) };
}

function checkKey(message: string): void {
  if (KEY_PROBLEMS.includes(message)) {
    throw new ClientError(ClientErrorCode.keyInvalid, `the server refused the key (${message}): check --key, CERCAPEC_KEY or the config file`);
  }
}

function unexpected(what: string, line: string): ClientError {
  return new ClientError(
    ClientErrorCode.badAnswer,
    `unexpected answer to ${what}: ${JSON.stringify(line.slice(0, 120))} (is the server URL a trovapec /index_ws.php?)`,
  );
}

export function parseSubmitAnswer(line: string): SubmitResult {
  const parsed = split(line);
  if (parsed?.status === 'OK' && /^[A-Za-z0-9_-]+$/.test(parsed.rest[0] ?? '')) return { kind: 'accepted', token: parsed.rest[0] };
  if (parsed?.status === 'ERROR') {
    const message = parsed.rest.join('|');
    checkKey(message);
    return message === DUPLICATE ? { kind: 'duplicate' } : { kind: 'error', message };
  }
  throw unexpected('a submission', line);
}

export function parsePollAnswer(line: string): PollResult {
  const parsed = split(line);
  if (parsed?.status === 'WAIT') return { kind: 'wait' };
  if (parsed?.status === 'OK') {
    const pec = (parsed.rest[0] ?? '').trim();
    return pec === '' ? { kind: 'notFound' } : { kind: 'found', pec };
  }
  if (parsed?.status === 'ERROR') {
    const message = parsed.rest.join('|');
    checkKey(message);
    return { kind: 'error', message };
  }
  throw unexpected('a poll', line);
}

export function parseCancelAnswer(line: string): CancelResult {
  const parsed = split(line);
  if (parsed?.status === 'OK') return { kind: 'cancelled' };
  if (parsed?.status === 'ERROR') {
    const message = parsed.rest.join('|');
    checkKey(message);
    return message === NOTHING_TO_DELETE ? { kind: 'none' } : { kind: 'error', message };
  }
  throw unexpected('a cf-delete', line);
}

/** `12.50`, `-3.20` (a comma is accepted too) as cents. */
export function parseBalanceAnswer(line: string): number {
  const text = line.trim();
  const cents = parseEuro(text);
  if (cents !== null) return cents;
  const parsed = split(text);
  if (parsed?.status === 'ERROR') {
    const message = parsed.rest.join('|');
    checkKey(message);
    throw new ClientError(ClientErrorCode.badAnswer, `the server refused the balance request: ${message}`);
  }
  throw unexpected('a balance request', text);
}
