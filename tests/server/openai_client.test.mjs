// 用官方 openai 客户端（npm 包 openai）对 dsinfer serve 做端到端测试：对话与续写、流式与一次性、错误、/metrics。
// 由 ctest 运行：node --test openai_client.test.mjs，环境变量 DSINFER_BINARY 与 DSINFER_MODEL 指向可执行文件与模型。
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import OpenAI from "openai";

const KEY = "sk-test";
let server, baseURL, client;

before(async () => {
  server = spawn(process.env.DSINFER_BINARY,
    ["serve", "-m", process.env.DSINFER_MODEL, "--port", "0", "--ctx", "256", "--api-key", KEY, "--model-id", "tiny"],
    { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const port = await new Promise((resolve, reject) => {
    server.stderr.on("data", (d) => {
      log += d;
      const m = log.match(/127\.0\.0\.1:(\d+)（/);
      if (m) resolve(Number(m[1]));
    });
    server.on("exit", (code) => reject(new Error(`serve 提前退出 ${code}: ${log}`)));
  });
  baseURL = `http://127.0.0.1:${port}/v1`;
  client = new OpenAI({ baseURL, apiKey: KEY, maxRetries: 0 });
});

after(async () => {
  const exited = new Promise((resolve) => server.on("exit", (code) => resolve(code)));
  server.kill("SIGTERM");
  assert.equal(await exited, 0);
});

test("models lists the served id", async () => {
  const page = await client.models.list();
  assert.deepEqual(page.data.map((m) => m.id), ["tiny"]);
});

test("chat completion, then the same request streamed gives the same text", async () => {
  const request = { model: "tiny", messages: [{ role: "user", content: "天下大事，" }], max_tokens: 12, temperature: 0 };
  const full = await client.chat.completions.create(request);
  assert.equal(full.object, "chat.completion");
  assert.equal(full.choices[0].message.role, "assistant");
  assert.ok(["stop", "length"].includes(full.choices[0].finish_reason));
  assert.equal(full.usage.total_tokens, full.usage.prompt_tokens + full.usage.completion_tokens);
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  let text = "", finish = null, usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta?.content ?? "";
    finish = choice.finish_reason ?? finish;
  }
  assert.equal(text, full.choices[0].message.content);
  assert.equal(finish, full.choices[0].finish_reason);
  assert.deepEqual(usage, full.usage);
});

test("completion with a stop string", async () => {
  const base = { model: "tiny", prompt: "It is a truth universally acknowledged", max_tokens: 16, temperature: 0 };
  const full = await client.completions.create(base);
  const text = full.choices[0].text;
  assert.ok(text.length >= 6, text);
  const stop = text.slice(3, 6);
  const cut = await client.completions.create({ ...base, stop: [stop] });
  assert.equal(cut.choices[0].text, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, "stop");
});

test("errors arrive as OpenAI API errors with status and message", async () => {
  await assert.rejects(client.chat.completions.create({ model: "tiny", messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === "messages");
  await assert.rejects(client.chat.completions.create({ model: "tiny", messages: [{ role: "user", content: "x" }], n: 2 }),
    (e) => e.status === 400 && e.param === "n");
  const long = "天下大事 ".repeat(400);
  await assert.rejects(client.completions.create({ model: "tiny", prompt: long }),
    (e) => e.status === 400 && /上下文上限 256/.test(e.message));
  const wrongKey = new OpenAI({ baseURL, apiKey: "wrong", maxRetries: 0 });
  await assert.rejects(wrongKey.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  await assert.rejects(client.embeddings.create({ model: "tiny", input: "x" }), (e) => e.status === 404);
});

test("metrics parse as Prometheus text", async () => {
  const res = await fetch(baseURL.replace("/v1", "/metrics"), { headers: { Authorization: `Bearer ${KEY}` } });
  assert.equal(res.status, 200);
  const samples = new Map();
  const types = new Map();
  for (const line of (await res.text()).split("\n")) {
    if (!line) continue;
    const t = line.match(/^# TYPE (\S+) (counter|gauge|histogram)$/);
    if (t) { types.set(t[1], t[2]); continue; }
    if (line.startsWith("# HELP ")) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/);
    assert.ok(m, `不是合法的样本行: ${line}`);
    assert.ok(Number.isFinite(Number(m[3])), line);
    samples.set(m[1] + (m[2] ?? ""), Number(m[3]));
  }
  assert.ok(samples.get('dsinfer_requests_total{code="200"}') >= 3);
  assert.ok(samples.get("dsinfer_completion_tokens_total") > 0);
  assert.equal(types.get("dsinfer_time_to_first_token_seconds"), "histogram");
  assert.equal(samples.get('dsinfer_time_to_first_token_seconds_bucket{le="+Inf"}'),
    samples.get("dsinfer_time_to_first_token_seconds_count"));
  assert.equal(samples.get("dsinfer_kv_blocks_used"), 0);
});
