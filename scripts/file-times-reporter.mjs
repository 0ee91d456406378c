// A node:test reporter that writes, at the end of a run, one line per test file: the sum of its
// top-level tests' durations (they run one after the other within a file, so this is the file's
// time less its process start) and how many of them failed. scripts/test.mjs prints these lines
// longest first, so a slow file is seen before it pushes the suite past its time limit. (Event
// arrival times are no measure: node 20 announces every file's tests up front.)
export default async function* fileTimes(source) {
  const files = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file || (event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0)
      continue;
    const f = files.get(file) ?? { testsMs: 0, failed: 0 };
    f.testsMs += event.data.details?.duration_ms ?? 0;
    if (event.type === 'test:fail') f.failed++;
    files.set(file, f);
  }
  for (const [file, f] of files) {
    yield `${JSON.stringify({ file, testsMs: Math.round(f.testsMs), failed: f.failed })}\n`;
  }
}
