import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openStore } from '../../src/store/store.ts';
import { backupSqlite } from '../../src/store/backup-sqlite.ts';
import { restoreSqlite } from '../../src/store/restore-sqlite.ts';
import { checkSecretFile } from '../../src/security/check-file-permissions.ts';
import { childEnv, killAllChildren, REPO_ROOT } from '../helpers/cli.ts';

/**
 * Files that hold key hashes, webhook secrets, personal data or registry credentials are
 * owner-only (issue 15 item 4): the store and its -wal/-shm, a restored store, the data folder
 * cercapec creates, and the registries file `standins --write-config` writes. Under the usual
 * umask 022 they were 0644 (0755 for the folder).
 */
const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8).padStart(3, '0');

describe('file modes', { skip: process.platform === 'win32' ? 'POSIX modes only' : false }, () => {
  const root = mkdtempSync(join(tmpdir(), 'cercapec-modes-'));
  const previousUmask = process.umask(0o022);
  after(async () => {
    process.umask(previousUmask);
    await killAllChildren();
    rmSync(root, { recursive: true, force: true });
  });

  test('a new store: folder 0700, cercapec.sqlite, -wal and -shm 0600', async () => {
    const dataDir = join(root, 'new', 'data');
    const store = await openStore({ dataDir });
    try {
      await sql`create table t (v text)`.execute(store.db);
      await sql`insert into t (v) values ('x')`.execute(store.db);
      const file = join(dataDir, 'cercapec.sqlite');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) {
        assert.ok(existsSync(f), `${f} exists`);
        assert.equal(modeOf(f), '600', f);
      }
      assert.equal(modeOf(dataDir), '700');
    } finally {
      await store.close();
    }
  });

  test('a restored store is 0600, and so are the -wal and -shm the next server makes', async () => {
    const source = join(root, 'source');
    const store = await openStore({ dataDir: source });
    const backup = join(root, 'backup.sqlite');
    try {
      await backupSqlite(source, backup);
    } finally {
      await store.close();
    }
    const target = join(root, 'restored');
    await restoreSqlite(target, backup);
    const file = join(target, 'cercapec.sqlite');
    assert.equal(modeOf(file), '600');
    const reopened = await openStore({ dataDir: target });
    try {
      await sql`select count(*) from accounts`.execute(reopened.db);
      for (const f of [`${file}-wal`, `${file}-shm`]) assert.equal(modeOf(f), '600', f);
    } finally {
      await reopened.close();
    }
  });

  test('standins --write-config writes the registries file 0600, an existing 0644 one included', { timeout: 60_000 }, async () => {
    const config = join(root, 'registries.json');
    writeFileSync(config, '{}\n', { mode: 0o644 });
    const child = spawn(process.execPath, ['bin/cercapec.js', 'standins', '--write-config', config], {
      cwd: REPO_ROOT,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const written = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('File dei registri scritto')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`standins exited with ${code}: ${out}`)));
      });
      assert.match(written, /CERCAPEC_REGISTRIES_FILE=/);
      assert.equal(modeOf(config), '600');
      assert.equal(checkSecretFile(config), null, 'serve would not warn about it');
      assert.ok(JSON.parse(readFileSync(config, 'utf8')), 'the file is whole');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('every systemd unit runs with UMask=0077', () => {
    const dir = join(REPO_ROOT, 'deploy', 'systemd');
    const units = readdirSync(dir).filter((f) => f.endsWith('.service'));
    assert.ok(units.length > 0);
    for (const unit of units) assert.match(readFileSync(join(dir, unit), 'utf8'), /^UMask=0077$/m, unit);
  });
});
