// 服务端吞吐与首 token 延迟：C 个并发流，每个流连续发 R 个流式请求（ignore_eos，固定生成长度），
// 报告合计生成 tok/s（生成 token 总数 ÷ 墙钟）与首 token 延迟的 p50 / p99。只用 Node 自带的 fetch。
// 用法：node bench/server/load.mjs <base_url> <并发数> [每流请求数=4] [max_tokens=64] [提示重复次数=4]
const [base, concurrency, perStream = "4", maxTokens = "64", repeat = "4"] = process.argv.slice(2);
const C = Number(concurrency), R = Number(perStream), N = Number(maxTokens);

async function one(i) {
  const prompt = `第 ${i} 个请求：` + "天下大事，分久必合，合久必分。".repeat(Number(repeat));
  const t0 = performance.now();
  const res = await fetch(`${base}/v1/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ prompt, max_tokens: N, temperature: 0, ignore_eos: true, stream: true,
                           stream_options: { include_usage: true } }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  let ttft = null, tokens = 0, buf = "";
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buf += decoder.decode(chunk, { stream: true });
    let p;
    while ((p = buf.indexOf("\n\n")) >= 0) {
      const line = buf.slice(0, p);
      buf = buf.slice(p + 2);
      if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
      const ev = JSON.parse(line.slice(6));
      if (ttft === null && ev.choices?.[0]?.text) ttft = performance.now() - t0;
      if (ev.usage) tokens = ev.usage.completion_tokens;
    }
  }
  return { ttft: ttft ?? performance.now() - t0, tokens };
}

const start = performance.now();
const results = (await Promise.all(Array.from({ length: C }, async (_, s) => {
  const out = [];
  for (let r = 0; r < R; ++r) out.push(await one(s * R + r));
  return out;
}))).flat();
const seconds = (performance.now() - start) / 1000;
const ttfts = results.map((r) => r.ttft).sort((a, b) => a - b);
const pct = (q) => ttfts[Math.min(ttfts.length - 1, Math.floor(q * ttfts.length))];
const tokens = results.reduce((a, r) => a + r.tokens, 0);
console.log(JSON.stringify({ concurrency: C, requests: results.length, completion_tokens: tokens,
  seconds: +seconds.toFixed(2), decode_tps: +(tokens / seconds).toFixed(1),
  ttft_p50_ms: +pct(0.5).toFixed(1), ttft_p99_ms: +pct(0.99).toFixed(1) }));
