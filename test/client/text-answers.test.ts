import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBalanceAnswer, parseCancelAnswer, parsePollAnswer, parseSubmitAnswer } from '../../src/client/text-answers.ts';
import { isClientError } from '../../src/client/client-error.ts';

test('parseSubmitAnswer: token, duplicate, other errors; a refused key throws', () => {
  assert.deepEqual(parseSubmitAnswer('OK|pS9v0r3mQeQYxNn1pZ2k8bqW'), { kind: 'accepted', token: 'pS9v0r3mQeQYxNn1pZ2k8bqW' });
  assert.deepEqual(parseSubmitAnswer('Error|Richiesta già presente'), { kind: 'duplicate' });
  assert.deepEqual(parseSubmitAnswer('Error|Credito insufficiente'), { kind: 'error', message: 'Credito insufficiente' });
  assert.throws(
    () => parseSubmitAnswer('Error|Chiave non valida o disabilitata'),
    (e) => isClientError(e, 'key_invalid'),
  );
  assert.throws(
    () => parseSubmitAnswer('<html>Not found</html>'),
    (e) => isClientError(e, 'bad_answer'),
  );
});

test('parsePollAnswer: WAIT, found, not found (also the original "Ok||"), errors', () => {
  assert.deepEqual(parsePollAnswer('WAIT|abc'), { kind: 'wait' });
  assert.deepEqual(parsePollAnswer('OK|a@pec.it|pec trovata'), { kind: 'found', pec: 'a@pec.it' });
  assert.deepEqual(parsePollAnswer('OK||pec non trovata'), { kind: 'notFound' });
  assert.deepEqual(parsePollAnswer('Ok||pec non trovata'), { kind: 'notFound' });
  assert.deepEqual(parsePollAnswer('ERROR|Richiesta cancellata'), { kind: 'error', message: 'Richiesta cancellata' });
  assert.throws(
    () => parsePollAnswer('ERROR|Chiave non valida o disabilitata'),
    (e) => isClientError(e, 'key_invalid'),
  );
});

test('parseCancelAnswer and parseBalanceAnswer', () => {
  assert.deepEqual(parseCancelAnswer('OK|richiesta cancellata correttamente'), { kind: 'cancelled' });
  assert.deepEqual(parseCancelAnswer('Error|Nessuna richiesta presente per questo codice'), { kind: 'none' });
  assert.equal(parseBalanceAnswer('12.50'), 1250);
  assert.equal(parseBalanceAnswer('-3.20'), -320);
  assert.throws(
    () => parseBalanceAnswer('Error|Chiave non valida o disabilitata'),
    (e) => isClientError(e, 'key_invalid'),
  );
});
