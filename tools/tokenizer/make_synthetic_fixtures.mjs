// 生成 tests/data/tokenizer/synthetic/ 下的小型 tokenizer.json 及其期望结果（*.cases.jsonl）。
// 期望的 ids 与解码文本由 Hugging Face tokenizers（npm 绑定 @anush008/tokenizers）计算，
// 用来逐个覆盖 normalizer / pre_tokenizer / BPE 选项 / added token 选项 / decoder / post_processor。
// 用法：HF_TOKENIZERS=/tmp/hf-tok/node_modules/@anush008/tokenizers node tools/tokenizer/make_synthetic_fixtures.mjs
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Tokenizer } = require(process.env.HF_TOKENIZERS ?? '@anush008/tokenizers');
const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../tests/data/tokenizer/synthetic');

// GPT-2 的字节 → 字符映射。
function byteChars() {
  const chars = [];
  let next = 256;
  for (let b = 0; b < 256; ++b) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    chars.push(String.fromCodePoint(printable ? b : next++));
  }
  return chars;
}

// 词表从 base 开始，words 中每个词按从左到右逐字合并生成 "a b" 形式的 merges。
function buildBpe(base, words, splitWord) {
  const vocab = {};
  const add = (t) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  base.forEach(add);
  const merges = [];
  for (const w of words) {
    const parts = splitWord(w);
    let cur = parts[0];
    for (let i = 1; i < parts.length; ++i) {
      const merged = cur + parts[i];
      if (!(merged in vocab)) {
        merges.push(`${cur} ${parts[i]}`);
        add(merged);
      }
      cur = merged;
    }
  }
  return { vocab, merges };
}

const added = (id, content, o = {}) => ({
  id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false, ...o,
});

function sentencepieceLike() {
  const specials = ['<unk>', '<s>', '</s>'];
  const bytes = [...Array(256).keys()].map((b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const letters = [...'▁abcdefghijklmnopqrstuvwxyzHTW你好世界'];
  const { vocab, merges } = buildBpe([...specials, ...bytes, ...letters],
    ['▁hello', '▁world', '▁the', 'ing', '▁test', '你好', '▁Hello'], (w) => [...w]);
  const n = Object.keys(vocab).length;
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [
      added(0, '<unk>', { special: true }), added(1, '<s>', { special: true }), added(2, '</s>', { special: true }),
      added(n, '<mask>', { lstrip: true }), added(n + 1, '<tag>', { lstrip: true, rstrip: true }),
      added(n + 2, 'ok', { single_word: true, normalized: true }),
    ],
    normalizer: { type: 'Sequence', normalizers: [
      { type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } } },
    decoder: { type: 'Sequence', decoders: [
      { type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' },
      { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab, merges },
  };
}

function byteLevelVariants() {
  const chars = byteChars();
  const map = (s) => [...Buffer.from(s, 'utf8')].map((b) => chars[b]).join('');
  const { vocab, merges } = buildBpe(chars, ['hello', ' world', ' the', 'ing', 'fine', ' café', '你好', 'ab'].map(map),
    (w) => [...w]);
  vocab[map('abc')] = Object.keys(vocab).length;  // 只有 ignore_merges 才能整体命中
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [added(Object.keys(vocab).length, '<|end|>', { special: true })],
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Digits', individual_digits: true },
      { type: 'Split', pattern: { String: '-' }, behavior: 'MergedWithNext', invert: false },
      { type: 'Split', pattern: { Regex: '[,;]' }, behavior: 'Removed', invert: false },
      { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true }] },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null,
      end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges },
  };
}

// 非字节级、无 byte_fallback：未知字符走 unk（不融合），并使用 continuing_subword_prefix / end_of_word_suffix。
function wordPieceLikeBpe() {
  const base = [...'abcdefghijklmnopqrstuvwxyz'];
  const vocab = {};
  const add = (t) => { if (!(t in vocab)) vocab[t] = Object.keys(vocab).length; };
  add('[UNK]');
  for (const c of base) { add(c); add(`##${c}`); add(`${c}</w>`); add(`##${c}</w>`); }
  const merges = [];
  const merge = (a, b) => { merges.push([a, b]); add(a + b.replace(/^##/, '')); };
  merge('t', '##h'); merge('th', '##e</w>'); merge('##i', '##n'); merge('##in', '##g</w>');
  merge('r', '##u'); merge('ru', '##n');
  return {
    version: '1.0', truncation: null, padding: null, added_tokens: [],
    normalizer: { type: 'NFD' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Split', pattern: { Regex: '\\s+' }, behavior: 'Removed', invert: false },
      { type: 'Split', pattern: { Regex: '\\p{P}' }, behavior: 'Isolated', invert: false },
      { type: 'Split', pattern: { Regex: '[a-z]+' }, behavior: 'Contiguous', invert: true },
      { type: 'Split', pattern: { Regex: 'x' }, behavior: 'MergedWithPrevious', invert: false },
      { type: 'Digits', individual_digits: false }] },
    post_processor: null,
    decoder: null,
    model: { type: 'BPE', dropout: null, unk_token: '[UNK]', continuing_subword_prefix: '##',
      end_of_word_suffix: '</w>', fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

const texts = [
  '', ' ', 'hello world', 'Hello World', ' hello', 'the thing  running ', 'tabs\tand\nnewlines\r\n',
  "don't stop", 'a-b-c,d;e', '１２３ ﬁne café cafe\u0301', '你好世界', 'emoji 😀 ok', 'ok', 'look ok.', 'bok ok2',
  '<s>hello</s>', 'say <mask> now', 'x<mask>y', '  <tag>  spaced', 'abc', 'abcd', 'TheXrunning x1234567',
  'unknown ÿ chars ☃☃', '<|end|>hello<|end|>', 'ab-ab-ab', 'ruin runx', 'ıi̇ ẞ Ω Å', '\u0000\u0001 ctrl',
];

fs.mkdirSync(outDir, { recursive: true });
for (const [name, json] of [['sentencepiece_like', sentencepieceLike()], ['byte_level_variants', byteLevelVariants()],
  ['wordpiece_like_bpe', wordPieceLikeBpe()]]) {
  const text = JSON.stringify(json);
  fs.writeFileSync(path.join(outDir, `${name}.json`), text + '\n');
  const tok = Tokenizer.fromString(text);
  const lines = [];
  for (const t of texts) {
    const ids = (await tok.encode(t, null, { addSpecialTokens: false })).getIds();
    const withSpecial = (await tok.encode(t, null, { addSpecialTokens: true })).getIds();
    lines.push(JSON.stringify({
      text: t, ids, ids_with_special: withSpecial,
      decoded: await tok.decode(ids, false), decoded_skip_special: await tok.decode(ids, true),
    }));
  }
  fs.writeFileSync(path.join(outDir, `${name}.cases.jsonl`), lines.join('\n') + '\n');
  console.log(`${name}: ${lines.length} cases`);
}
