import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { hashSessionId } from './sessions.ts';

/**
 * What a POST leaves for the page it redirects to (post/redirect/get): reloading that page
 * sends a GET, never the POST again. `newKey`: an API key just made, shown once, on the page of
 * its account only.
 */
export interface Flash {
  newKey?: { accountId: string; key: string };
  /** A password the back office generated (a new user, a reset), shown once on that user's page. */
  newPassword?: { userId: string; password: string };
  /** The recovery codes of a second factor just turned on, shown once on that person's profile. */
  recoveryCodes?: { userId: string; codes: string[] };
}

/**
 * The flash is stored encrypted (AES-256-GCM) under a key derived from the session id, like the
 * CSRF token: the store keeps only the id's hash, so a copy of the table (a backup, copy-store)
 * cannot read an API key waiting to be shown.
 */
function flashKey(sessionId: string): Buffer {
  return createHmac('sha256', sessionId).update('cercapec-admin-flash').digest();
}

function seal(sessionId: string, flash: Flash): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', flashKey(sessionId), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(flash), 'utf8'), cipher.final()]);
  return [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.');
}

function open(sessionId: string, sealed: string): Flash | null {
  const [iv, body, tag] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (!iv || !body || !tag) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', flashKey(sessionId), iv);
    decipher.setAuthTag(tag);
    return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')) as Flash;
  } catch {
    return null;
  }
}

/** Leaves a flash for the session's next page (replacing one not yet shown). */
export async function setFlash(db: Kysely<Database>, sessionId: string, flash: Flash): Promise<void> {
  await db
    .updateTable('admin_sessions')
    .set({ flash: seal(sessionId, flash) })
    .where('token_hash', '=', hashSessionId(sessionId))
    .execute();
}

/**
 * The session's flash, when `wanted` accepts it, and gone from the store: the conditional
 * clear makes two pages racing for it show it once. A flash `wanted` refuses stays for its page.
 */
export async function takeFlash(db: Kysely<Database>, sessionId: string, wanted: (flash: Flash) => boolean): Promise<Flash | null> {
  const tokenHash = hashSessionId(sessionId);
  const row = await db.selectFrom('admin_sessions').select('flash').where('token_hash', '=', tokenHash).executeTakeFirst();
  if (!row?.flash) return null;
  const flash = open(sessionId, row.flash);
  if (flash && !wanted(flash)) return null;
  const cleared = await db
    .updateTable('admin_sessions')
    .set({ flash: null })
    .where('token_hash', '=', tokenHash)
    .where('flash', '=', row.flash)
    .executeTakeFirst();
  return Number(cleared.numUpdatedRows) === 1 ? flash : null;
}
