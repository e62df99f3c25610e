// Preloaded into each stage process of bench/scale.ts (`node --import …/rss-probe.js`): when the
// process exits, writes its peak resident set (process.resourceUsage().maxRSS, all threads) to the
// file named by LRML_BENCH_RSS, so that every stage's peak is its own. Does nothing without it.
import { writeFileSync } from 'node:fs';

const file = process.env.LRML_BENCH_RSS;
if (file !== undefined && file !== '') {
  process.on('exit', () => {
    writeFileSync(file, JSON.stringify({ maxRss: process.resourceUsage().maxRSS * 1024 }));
  });
}
