import assert from 'node:assert/strict';
import { INAD_STANDIN, type InadStandinHandle } from '../../src/standins/inad/inad-standin.ts';
import { loadSpec } from '../helpers/spec-conformance.ts';

/**
 * The one place the stand-in departs from inad-extraction.yaml on purpose: the spec declares
 * usageInfo required on every address, but production clients (PagoPA SEND's InadConverter)
 * read a missing one as "no cessation", so the stand-in sends it only with a cessation and the
 * client must cope without it.
 */
const KNOWN_DEVIATIONS = [/required property 'usageInfo'/];

/** Loaded once per test file: building the validator takes a while and warns about formats each time. */
let loaded: ReturnType<typeof loadSpec> | null = null;

/**
 * Every request the client sent to the INAD API conforms to the spec, and so does the
 * stand-in's answer to it (each request is sent again, as it was, to read the answer).
 */
export async function assertInadConformance(standin: InadStandinHandle): Promise<void> {
  const spec = await (loaded ??= loadSpec('inad-extraction.yaml'));
  const base = INAD_STANDIN.basePath;
  const requests = standin.received.filter((r) => r.path.startsWith(`${base}/`));
  assert.ok(requests.length > 0, 'the client called INAD');
  assert.deepEqual(
    requests.flatMap((r) => spec.request(r, base)),
    [],
    'requests conform to inad-extraction.yaml',
  );

  const problems: string[] = [];
  for (const r of requests) {
    const res = await fetch(`${standin.url}${r.url}`, {
      method: r.method,
      headers: { authorization: String(r.headers.authorization), ...(r.body ? { 'content-type': String(r.headers['content-type']) } : {}) },
      body: r.method === 'POST' ? r.body : undefined,
      redirect: 'manual',
    });
    const body = await res.json();
    problems.push(...spec.response(r, res.status, body, base).filter((p) => !KNOWN_DEVIATIONS.some((d) => d.test(p))));
  }
  assert.deepEqual(problems, [], 'the stand-in answers conform to inad-extraction.yaml');
}
