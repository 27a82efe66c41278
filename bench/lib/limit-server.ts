// The submit baseline of issue 14: the least a server can do for the same durable work, with
// one transaction per request. node:http + better-sqlite3 (WAL, synchronous=NORMAL, like the
// store): read the form, look the key up by its sha256, check the code's check digit, then
// insert a request, a ledger row and a job in one transaction and answer OK|<token>. No
// framework, no query builder, no balance check: the ceiling cercapec's submit is held to.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { validateTaxId } from '../../src/taxid/index.ts';

const [portArg, dir, key] = process.argv.slice(2);
const db = new BetterSqlite3(join(dir, 'limit.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`
  create table if not exists api_keys (key_hash text primary key, account_id text not null);
  create table if not exists requests (id text primary key, account_id text not null, code text not null, status text not null, created_at integer not null);
  create unique index if not exists requests_dedup on requests (account_id, code);
  create table if not exists ledger (id text primary key, account_id text not null, amount_cents integer not null, request_id text, created_at integer not null);
  create index if not exists ledger_account on ledger (account_id, created_at);
  create table if not exists jobs (id text primary key, payload text not null, status text not null, run_at integer not null);
  create index if not exists jobs_ready on jobs (status, run_at);
`);
const hash = (k: string) => createHash('sha256').update(k).digest('hex');
db.prepare('insert or ignore into api_keys values (?, ?)').run(hash(key), 'acc_1');
const findKey = db.prepare<[string], { account_id: string }>('select account_id from api_keys where key_hash = ?');
const insertRequest = db.prepare('insert into requests values (?, ?, ?, ?, ?)');
const insertLedger = db.prepare('insert into ledger values (?, ?, ?, ?, ?)');
const insertJob = db.prepare('insert into jobs values (?, ?, ?, ?)');
const accept = db.transaction((account: string, code: string) => {
  const id = randomBytes(18).toString('base64url');
  const now = Date.now();
  insertRequest.run(id, account, code, 'queued', now);
  insertLedger.run(randomBytes(12).toString('hex'), account, -10, id, now);
  insertJob.run(randomBytes(12).toString('hex'), JSON.stringify({ requestId: id }), 'queued', now);
  return id;
});

createServer((req, res) => {
  if (req.url === '/healthz') return void res.end('ok');
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => (body += d));
  req.on('end', () => {
    const form = new URLSearchParams(body);
    const account = findKey.get(hash(form.get('key') ?? ''))?.account_id;
    const checked = validateTaxId(form.get('cf') ?? '');
    let line: string;
    if (!account) line = 'Error|Chiave non valida o disabilitata';
    else if (!checked.valid) line = `Error|Codice fiscale non valido: ${checked.message}`;
    else {
      try {
        line = `OK|${accept(account, checked.code)}`;
      } catch {
        line = 'Error|Richiesta già presente';
      }
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(line);
  });
}).listen(Number(portArg), '127.0.0.1');
