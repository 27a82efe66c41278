/**
 * Billing details on accounts (issue 17 part 2 item 12) over the back office's and the portal's
 * routes, on both dialects: edited by an admin (post/redirect/get, errors on the form with the
 * input kept, audited), shown read-only in the portal, and at the head of both statements.
 */
import { describe, test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'csv-parse/sync';
import { createHarness, type Harness } from '../helpers/services.ts';
import { eachDialect } from '../helpers/stores.ts';
import { AdminClient, staff, cf11 } from './admin-fixture.ts';
import { customer, PortalClient } from '../web/portal/portal-fixture.ts';
import { listAudit } from '../../src/audit/list-audit.ts';
import { getAccount } from '../../src/accounts/accounts.ts';
import { parseBillingDetails } from '../../src/accounts/billing-details.ts';

const DETAILS = {
  legal_name: 'Studio Rossi & Associati S.r.l.',
  vat_number: `IT ${cf11(42)}`,
  sdi_code: 'm5uxcr1',
  billing_pec: 'Fatture@Pec.StudioRossi.it',
  contact_name: 'Maria Rossi',
  contact_email: 'maria@studiorossi.it',
  contact_phone: '+39 02 1234567',
};

test('billing details: partita IVA with its check digit, SDI code of 7, 0000000 only with a PEC', () => {
  const ok = parseBillingDetails({ vatNumber: `it${cf11(7)}`, sdiCode: '0000000', pec: 'a@pec.it' });
  assert.ok('details' in ok && ok.details.vatNumber === cf11(7) && ok.details.sdiCode === '0000000');
  const wrongDigit = `${cf11(7).slice(0, 10)}${(Number(cf11(7)[10]) + 1) % 10}`;
  assert.deepEqual(parseBillingDetails({ vatNumber: wrongDigit }), { problem: 'vatNumber' });
  assert.deepEqual(parseBillingDetails({ vatNumber: '1234567890' }), { problem: 'vatNumber' });
  assert.deepEqual(parseBillingDetails({ sdiCode: 'ABC12' }), { problem: 'sdiCode' });
  assert.deepEqual(parseBillingDetails({ sdiCode: 'ABC-123' }), { problem: 'sdiCode' });
  assert.deepEqual(parseBillingDetails({ sdiCode: '0000000' }), { problem: 'sdiNeedsPec' });
  assert.deepEqual(parseBillingDetails({ pec: 'not an address' }), { problem: 'pec' });
  assert.deepEqual(parseBillingDetails({ contactEmail: 'x@' }), { problem: 'contactEmail' });
  assert.deepEqual(parseBillingDetails({ contactPhone: 'call me' }), { problem: 'contactPhone' });
  const empty = parseBillingDetails({ legalName: '  ' });
  assert.ok('details' in empty && Object.values(empty.details).every((v) => v === null));
});

await eachDialect(describe, 'account billing details', (dialect) => {
  let h: Harness;
  let admin: AdminClient;
  let operator: AdminClient;

  beforeEach(async () => {
    h = await createHarness(dialect);
    await staff(h.store, h.clock.now());
    admin = await AdminClient.signedIn(h.app, 'anna');
    operator = await AdminClient.signedIn(h.app, 'otto');
  });
  afterEach(() => h.close());

  test('an admin edits them (errors on the form with the input kept); statements and the portal show them', async () => {
    const { id } = await h.account({ name: 'Rossi', billingMode: 'postpaid', initialCreditCents: 0 });
    const base = `/admin/accounts/${id}`;
    const month = new Date(h.clock.now()).toISOString().slice(0, 7);
    // No details yet: the statement starts with its table, as before.
    assert.match((await admin.get(`${base}/statement.csv?month=${month}`)).body, /^\ufeffdata;tipo;/);

    const wrong = await admin.post(`${base}/billing`, { ...DETAILS, vat_number: '12345678901' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /role="alert">Partita IVA non valida/);
    assert.match(wrong.body, /id="legal_name" name="legal_name" maxlength="200" value="Studio Rossi &amp; Associati S.r.l."/);
    assert.match(wrong.body, /id="vat_number" name="vat_number" maxlength="16" value="12345678901"/);
    const noPec = await admin.post(`${base}/billing`, { ...DETAILS, sdi_code: '0000000', billing_pec: '' });
    assert.match(noPec.body, /role="alert">Con il codice destinatario 0000000 serve la PEC/);
    assert.equal((await getAccount(h.store, id))!.billing_vat_number, null, 'nothing saved');

    const saved = await admin.post(`${base}/billing`, DETAILS);
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `${base}?done=billing#h-billing`);
    const page = await admin.get(`${base}?done=billing`);
    assert.match(page.body, /role="status">Dati di fatturazione salvati\./);
    assert.match(page.body, new RegExp(`id="vat_number" name="vat_number" maxlength="16" value="${cf11(42)}"`));
    assert.match(page.body, /id="sdi_code" name="sdi_code" maxlength="7" value="M5UXCR1"/);
    const row = (await getAccount(h.store, id))!;
    assert.deepEqual(
      [row.billing_legal_name, row.billing_vat_number, row.billing_sdi_code, row.billing_pec],
      [DETAILS.legal_name, cf11(42), 'M5UXCR1', 'fatture@pec.studiorossi.it'],
    );

    // Audited: company data as it is, persons' addresses only as changed.
    const [audit] = await listAudit(h.store.db, { action: 'account.billing' });
    assert.equal(audit.actor, 'user:anna');
    const after = audit.after as Record<string, unknown>;
    assert.equal(after.billing_vat_number, cf11(42));
    assert.equal(after.billing_contact_email, '…');
    assert.ok(!JSON.stringify(audit).includes('maria@studiorossi.it'));

    // Operators read them and cannot change them.
    const seen = await operator.get(base);
    assert.match(seen.body, /<dt>Partita IVA<\/dt><dd>\d{11}<\/dd>/);
    assert.doesNotMatch(seen.body, /action="[^"]*\/billing"/);
    assert.equal((await operator.post(`${base}/billing`, DETAILS)).statusCode, 403);

    // The statement's header block, then the table.
    const csv = (await operator.get(`${base}/statement.csv?month=${month}`)).body;
    const lines = parse(csv.slice(1), { delimiter: ';', relax_column_count: true }) as string[][];
    const header = Object.fromEntries(
      lines
        .slice(
          0,
          lines.findIndex((l) => l.length <= 1 && !l[0]),
        )
        .map((l) => [l[0], l[1]]),
    );
    assert.equal(header.ragione_sociale, DETAILS.legal_name);
    assert.equal(header.partita_iva, cf11(42));
    assert.equal(header.codice_destinatario_sdi, 'M5UXCR1');
    assert.equal(header.pec_fatturazione, 'fatture@pec.studiorossi.it');
    assert.equal(header.mese, month);
    assert.match(csv, /\r\n\r\ndata;tipo;richiesta;codice;riferimento;importo_centesimi;importo_euro\r\n/);

    // The customer sees them read-only, and on their statement.
    await customer(h.store, h.clock.now(), 'rossi', id);
    const rossi = new PortalClient(h.app);
    await rossi.login('rossi');
    const home = await rossi.get('/portal');
    assert.match(home.body, /<dt>Ragione sociale<\/dt><dd>Studio Rossi &amp; Associati S\.r\.l\.<\/dd>/);
    assert.match(home.body, /<dt>Telefono del referente<\/dt><dd>\+39 02 1234567<\/dd>/);
    assert.doesNotMatch(home.body, /name="vat_number"/);
    const english = await rossi.get('/portal?lang=en');
    assert.match(english.body, /<dt>VAT number \(partita IVA\)<\/dt>/);
    const theirs = (await rossi.get(`/portal/statement.csv?month=${month}`)).body;
    assert.match(
      theirs,
      new RegExp(`^\\ufeffintestatario;Rossi\\r\\nragione_sociale;Studio Rossi & Associati S\\.r\\.l\\.\\r\\npartita_iva;${cf11(42)}\\r\\n`),
    );
  });

  test('the terms form sets the watch and verification prices (empty: free / the lookup price)', async () => {
    const { id } = await h.account({ name: 'Bianchi', priceCents: 30 });
    const base = `/admin/accounts/${id}`;
    const terms = { name: 'Bianchi', billing_mode: 'prepaid', price: '0,30', credit_limit: '', status: 'active' };
    const bad = await admin.post(base, { ...terms, watch_price: 'tanto', verification_price: '0,50' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /id="watch_price" name="watch_price" inputmode="decimal" value="tanto"/);
    assert.equal((await admin.post(base, { ...terms, watch_price: '0,02', verification_price: '0,50' })).statusCode, 303);
    let account = (await getAccount(h.store, id))!;
    assert.deepEqual([account.watch_price_cents, account.verification_price_cents], [2, 50]);
    assert.match((await admin.get(base)).body, /id="verification_price" name="verification_price" inputmode="decimal" value="0.50"/);
    assert.equal((await admin.post(base, { ...terms, watch_price: '', verification_price: '' })).statusCode, 303);
    account = (await getAccount(h.store, id))!;
    assert.deepEqual([account.watch_price_cents, account.verification_price_cents], [null, null]);
    const [audit] = await listAudit(h.store.db, { action: 'account.update' });
    assert.equal((audit.after as Record<string, unknown>).watch_price_cents, null);
  });
});
