/**
 * A `;`-separated CSV upload (`n;codice fiscale;nota`, with a BOM), generated while it is sent:
 * 1,000 rows per pull, never the whole file in memory. `codeOf(i)` gives row i's code.
 */
export function generatedCsv(rows: number, codeOf: (i: number) => string): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream({
    pull(controller) {
      if (next === 0) controller.enqueue(encoder.encode('\uFEFFn;codice fiscale;nota\r\n'));
      if (next >= rows) return controller.close();
      let text = '';
      for (const end = Math.min(next + 1000, rows); next < end; next++) text += `${next};${codeOf(next)};riga ${next}\r\n`;
      controller.enqueue(encoder.encode(text));
    },
  });
}
