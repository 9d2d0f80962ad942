// Hugging Face tokenizers（npm 绑定 @anush008/tokenizers）的编码吞吐：与 tokenizer_bench 读同一份语料、
// 同样逐段编码（不加 special token），报告多轮的中位数 MB/s。
// 用法：HF_TOKENIZERS=/tmp/hf-tok/node_modules/@anush008/tokenizers node bench/tokenizer/hf_bench.mjs TOKENIZER.json CORPUS.jsonl [轮数]
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(import.meta.url);
const { Tokenizer } = require(process.env.HF_TOKENIZERS ?? '@anush008/tokenizers');
const [tokenizerPath, corpusPath, roundsArg] = process.argv.slice(2);
const tok = Tokenizer.fromFile(tokenizerPath);
const texts = fs.readFileSync(corpusPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
const rates = [];
let tokens = 0;
for (let r = 0; r < Number(roundsArg ?? 5); ++r) {
  tokens = 0;
  const t0 = process.hrtime.bigint();
  for (const t of texts) tokens += (await tok.encode(t, null, { addSpecialTokens: false })).getIds().length;
  rates.push(bytes / 1e6 / (Number(process.hrtime.bigint() - t0) / 1e9));
}
rates.sort((a, b) => a - b);
console.log(`hf-tokenizers: ${(bytes / 1e6).toFixed(2)} MB, ${tokens} tokens, median ${rates[rates.length >> 1].toFixed(2)} MB/s (runs: ${rates.map((x) => x.toFixed(2)).join(' ')})`);
