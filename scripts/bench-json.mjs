#!/usr/bin/env node
// `npm run bench:json`: parse time of the fastjson reader (src/core/remoting/fastjson.ts) against
// JSON.parse on the same inputs at 1x, 2x and 4x the size, side by side. A linear reader takes
// about twice as long at each doubling, as JSON.parse does; the old one took four times as long
// (every string searched the rest of the text for a backslash: a 14 MB topic table took minutes).
//
// Inputs: a broker's topic config table (GET_ALL_TOPIC_CONFIG: ~200 bytes and 8 strings per topic,
// no escapes, the worst case of the old reader) and a name server's topic list (eight names per
// topic of the first, a few with escapes). Both readers are warmed up on the 1x inputs first; each
// timing is the median of --runs runs.
//
// Usage: node --expose-gc scripts/bench-json.mjs [--topics 10000] [--runs 7]
// Needs `npm run build` first (npm run bench:json does it).
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { parseFastjson } = await import(`${root}dist/src/core/remoting/fastjson.js`);

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const baseTopics = arg('--topics', 10_000);
const runs = arg('--runs', 7);

function topicConfigTable(n) {
  const entries = [];
  for (let i = 0; i < n; i++) {
    const name = `bench_topic_${i.toString(36)}_orders`;
    entries.push(
      `"${name}":{"attributes":{},"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"${name}","topicSysFlag":0,"writeQueueNums":8}`,
    );
  }
  return `{"dataVersion":{"counter":1,"stateVersion":0,"timestamp":1},"topicConfigTable":{${entries.join(',')}}}`;
}

function topicList(n) {
  // Eight names per topic of the other input, for strings (and sizes) of the same order.
  const names = Array.from({ length: n * 8 }, (_, i) => (i % 500 === 0 ? `odd "name" ${i}\n` : `topic_${i}`));
  return JSON.stringify({ topicList: names });
}

// With --expose-gc (npm run bench:json passes it), each run starts from a collected heap.
const gc = globalThis.gc ?? (() => {});

function median(parse, text) {
  parse(text);
  const times = [];
  for (let i = 0; i < runs; i++) {
    gc();
    const t = process.hrtime.bigint();
    parse(text);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

// Past the 16 MiB budget at 4x of a large --topics: the bench measures the algorithm, not the cap.
const fastjson = (text) => parseFastjson(text, { maxLength: Number.POSITIVE_INFINITY });
const pad = (s, n) => String(s).padStart(n);
const ms = (x) => `${x.toFixed(1)} ms`;

// The first inputs would otherwise also time the JIT's warming up.
for (const make of [topicConfigTable, topicList]) {
  const text = make(baseTopics);
  for (let i = 0; i < 3; i++) {
    fastjson(text);
    JSON.parse(text);
  }
}

console.log(`median of ${runs} runs, node ${process.version}`);
console.log(
  `${'input'.padEnd(22)} ${pad('topics', 7)} ${pad('size', 9)} ${pad('parseFastjson', 14)} ${pad('x prev', 7)} ${pad('JSON.parse', 11)} ${pad('x prev', 7)} ${pad('ratio', 6)}`,
);
for (const [label, make] of [
  ['topic config table', topicConfigTable],
  ['topic list', topicList],
]) {
  let prev;
  for (const scale of [1, 2, 4]) {
    const n = baseTopics * scale;
    const text = make(n);
    const f = median(fastjson, text);
    const j = median(JSON.parse, text);
    const growth = (a, b) => (b === undefined ? '' : `${(a / b).toFixed(2)}x`);
    console.log(
      `${`${label} ${scale}x`.padEnd(22)} ${pad(n, 7)} ${pad(`${(text.length / 1e6).toFixed(1)} MB`, 9)} ${pad(ms(f), 14)} ${pad(growth(f, prev?.f), 7)} ${pad(ms(j), 11)} ${pad(growth(j, prev?.j), 7)} ${pad((f / j).toFixed(1), 6)}`,
    );
    prev = { f, j };
  }
}
console.log(
  'x prev: time against the size before (linear: ~2x; quadratic: ~4x). ratio: parseFastjson / JSON.parse.',
);
