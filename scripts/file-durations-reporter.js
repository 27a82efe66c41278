// A node:test reporter for scripts/run-tests.js: one JSON line per top-level test with its file
// and duration, so the runner can list the slowest files (node's TAP does not name the file of
// a passing test).
export default async function* fileDurations(source) {
  for await (const event of source) {
    if ((event.type === 'test:pass' || event.type === 'test:fail') && event.data.nesting === 0) {
      yield `${JSON.stringify({ file: event.data.file, ms: event.data.details?.duration_ms ?? 0 })}\n`;
    }
  }
}
