import { importX509, type CryptoKey } from 'jose';
import { systemClock, type Clock } from '../../clock.ts';
import type { StandinDataset } from '../dataset.ts';
import { startStandin, type StandinHandle } from '../standin-server.ts';
import { TEST_KEYS } from '../test-keys.ts';
import { createBulkLists } from './bulk-lists.ts';
import { inadDirectory } from './directory.ts';
import { createInadRoutes } from './inad-routes.ts';
import { createPdndTokenEndpoint } from './pdnd-token.ts';

/** What the stand-in expects of its client: public test values, never real PDND ones. */
export const INAD_STANDIN = {
  basePath: '/rest/inad/v1/domiciliodigitale',
  tokenPath: '/token.oauth2',
  clientId: 'cercapec-standin-client',
  purposeId: 'cercapec-standin-purpose',
  audience: 'standin.interop.example/client-assertion',
} as const;

export interface InadStandinOptions {
  port?: number;
  dataset: StandinDataset;
  delayMs?: [number, number];
  /** Checks assertion expiry and voucher life; cessation dates are set from it at start. Tests share their ManualClock. */
  clock?: Clock;
  /** Voucher life (PDND production: 3,600 s). Default 600. */
  voucherTtlSeconds?: number;
  /** The state check at which a bulk list becomes DISPONIBILE. Default 3. */
  readyAfterPolls?: number;
}

export interface InadStandinHandle extends StandinHandle {
  readonly baseUrl: string;
  readonly tokenUrl: string;
  /** Forgets every voucher issued: the next data call is refused with 401. */
  revokeVouchers(): void;
  /** While on, INAD refuses every voucher with 403 (a purpose suspended on PDND). */
  suspendPurpose(on: boolean): void;
  /** The practicalReference of every bulk list asked, in order. */
  listReferences(): string[];
  /** From now on, asked `asked`, INAD answers the record of `instead` (tests: an answer about someone else). */
  misdirect(asked: string, instead: string): void;
}

/**
 * PDND's token endpoint and INAD's extraction API on one port: the token endpoint trusts the
 * committed test key (TEST_KEYS) under its kid, INAD serves the dataset's persons and
 * professionals (src/standins/inad/directory.ts).
 */
export async function startInadStandin(o: InadStandinOptions): Promise<InadStandinHandle> {
  const clock = o.clock ?? systemClock;
  const trustedKeys = new Map<string, CryptoKey>([[TEST_KEYS.kid, await importX509(TEST_KEYS.clientCertPem(), 'RS256')]]);
  const token = createPdndTokenEndpoint({
    clock,
    audience: INAD_STANDIN.audience,
    clientId: INAD_STANDIN.clientId,
    purposeId: INAD_STANDIN.purposeId,
    trustedKeys,
    voucherTtlSeconds: o.voucherTtlSeconds ?? 600,
  });
  const lists = createBulkLists(clock, o.readyAfterPolls ?? 3);
  let suspended = false;
  const misdirected = new Map<string, string>();
  const inad = createInadRoutes({
    basePath: INAD_STANDIN.basePath,
    clock,
    directory: inadDirectory(o.dataset, clock.now()),
    lists,
    authorized: token.accepts,
    suspended: () => suspended,
    answerAs: (code) => misdirected.get(code) ?? code,
  });
  const handle = await startStandin({
    name: 'inad',
    port: o.port,
    delayMs: o.delayMs,
    async handle(r) {
      if (r.path === INAD_STANDIN.tokenPath) return token.handle(r);
      return inad(r) ?? { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
    },
  });
  return Object.assign(handle, {
    baseUrl: `${handle.url}${INAD_STANDIN.basePath}`,
    tokenUrl: `${handle.url}${INAD_STANDIN.tokenPath}`,
    revokeVouchers: token.revokeAll,
    suspendPurpose(on: boolean) {
      suspended = on;
    },
    listReferences: lists.references,
    misdirect(asked: string, instead: string) {
      misdirected.set(asked, instead);
    },
  });
}
