"""字节级 BPE 分词器：训练、编码/解码、写 Hugging Face 格式的 tokenizer.json 与 tokenizer_config.json。

预分词与 DeepSeek-V3 的 tokenizer.json 完全相同（三条 Split 正则 + ByteLevel(use_regex=false)），
所以 C++ 引擎按 DeepSeek-V3 的同一套流水线即可加载。训练在预分词后的“词频表”上做，速度与语料长度无关。
合并规则的编码语义与 HF tokenizers 的 BPE 相同：每次合并词内秩最小的相邻对。
"""
import collections
import heapq
import json

import regex

# DeepSeek-V3 tokenizer.json 的 pre_tokenizer（逐字相同）
SPLIT_PATTERNS = [
    r"\p{N}{1,3}",
    r"[一-龥぀-ゟ゠-ヿ]+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|"
    r" ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
]
_COMPILED = [regex.compile(p) for p in SPLIT_PATTERNS]

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
PAD = "<｜▁pad▁｜>"
# 特殊 token 放在词表最前面：BOS=0、EOS=1，与 DeepSeek-V3 一致
SPECIAL_TOKENS = [
    # (内容, special, normalized)：取值照 DeepSeek-V3/R1 的 added_tokens
    (BOS, True, False),
    (EOS, True, False),
    (PAD, True, False),
    ("<｜User｜>", False, True),
    ("<｜Assistant｜>", False, True),
    ("<think>", False, True),
    ("</think>", False, True),
]

# DeepSeek-V3 家族的聊天模板（不含工具调用分支）：system 拼在 BOS 后，user 前缀 <｜User｜>，
# assistant 前缀 <｜Assistant｜>、以 EOS 结束；add_generation_prompt 时追加 <｜Assistant｜>。
CHAT_TEMPLATE = (
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}"
    "{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}"
    "{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}"
    "{%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}"
    "{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}"
    "{%- for message in messages %}{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}"
    "{{'<｜User｜>' + message['content']}}{%- endif %}"
    "{%- if message['role'] == 'assistant' and message['content'] is not none %}"
    "{{'<｜Assistant｜>' + message['content'] + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}"
    "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜>'}}{% endif %}"
)


def bytes_to_unicode():
    """GPT-2 的字节 → 可见字符映射（HF ByteLevel 同款）：可打印字节映射到自身，其余移到 256 以上。"""
    visible = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars = visible[:]
    extra = 0
    for b in range(256):
        if b not in visible:
            visible.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(visible, chars)}


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def pre_tokenize(text):
    """依次用三条正则做 Isolated 切分（匹配段与间隙都保留），再做字节级映射。"""
    pieces = [text]
    for pattern in _COMPILED:
        out = []
        for piece in pieces:
            last = 0
            for m in pattern.finditer(piece):
                if m.start() > last:
                    out.append(piece[last:m.start()])
                if m.end() > m.start():
                    out.append(m.group())
                last = m.end()
            if last < len(piece):
                out.append(piece[last:])
        pieces = out
    return ["".join(BYTE_TO_CHAR[b] for b in p.encode("utf-8")) for p in pieces]


def train(texts, vocab_size, log=print):
    """在词频表上训练 BPE，返回 (vocab: token→id, merges: [(a, b)])。

    增量计数：每次合并只更新含该相邻对的词；最大对用带惰性失效的堆取。
    计数相同时取字典序最小的对，结果与遍历顺序无关（可复现）。
    """
    word_counts = collections.Counter()
    for text in texts:
        word_counts.update(pre_tokenize(text))
    words = [list(w) for w in word_counts]
    counts = [word_counts[w] for w in word_counts]
    pair_counts = collections.Counter()
    pair_words = collections.defaultdict(set)
    for i, w in enumerate(words):
        for pair in zip(w, w[1:]):
            pair_counts[pair] += counts[i]
            pair_words[pair].add(i)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    vocab = {tok: i for i, (tok, _, _) in enumerate(SPECIAL_TOKENS)}
    for b in range(256):
        vocab[BYTE_TO_CHAR[b]] = len(vocab)
    merges = []
    while len(vocab) < vocab_size and heap:
        neg, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -neg or neg == 0:
            continue  # 过期的堆项
        merged = pair[0] + pair[1]
        merges.append(pair)
        vocab[merged] = len(vocab)
        changed = collections.Counter()
        for i in pair_words.pop(pair):
            w, c = words[i], counts[i]
            for p in zip(w, w[1:]):
                changed[p] -= c
            j, out = 0, []
            while j < len(w):
                if j + 1 < len(w) and w[j] == pair[0] and w[j + 1] == pair[1]:
                    out.append(merged)
                    j += 2
                else:
                    out.append(w[j])
                    j += 1
            words[i] = out
            for p in zip(out, out[1:]):
                changed[p] += c
                pair_words[p].add(i)
        for p, delta in changed.items():
            if delta:
                pair_counts[p] += delta
                heapq.heappush(heap, (-pair_counts[p], p))
        del pair_counts[pair]
        if len(merges) % 1000 == 0:
            log(f"bpe merges {len(merges)}: {merged!r} count {-neg}")
    return vocab, merges


class Tokenizer:
    """按 tokenizer.json 的语义编码/解码（不含 added token 的文本内匹配：训练语料里没有它们）。"""

    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.cache = {}
        self.bos_id, self.eos_id = vocab[BOS], vocab[EOS]

    @classmethod
    def load(cls, path):
        data = json.load(open(path, encoding="utf-8"))
        merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in data["model"]["merges"]]
        return cls(data["model"]["vocab"], merges)

    def _bpe(self, word):
        symbols = list(word)
        while len(symbols) > 1:
            pair = min(zip(symbols, symbols[1:]), key=lambda p: self.ranks.get(p, 1 << 30))
            if pair not in self.ranks:
                break
            out, j = [], 0
            while j < len(symbols):
                if j + 1 < len(symbols) and (symbols[j], symbols[j + 1]) == pair:
                    out.append(symbols[j] + symbols[j + 1])
                    j += 2
                else:
                    out.append(symbols[j])
                    j += 1
            symbols = out
        return [self.vocab[s] for s in symbols]

    def encode(self, text, add_bos=False):
        ids = [self.bos_id] if add_bos else []
        for word in pre_tokenize(text):
            if word not in self.cache:
                self.cache[word] = self._bpe(word)
            ids += self.cache[word]
        return ids

    def decode(self, ids):
        data = bytearray()
        for i in ids:
            tok = self.id_to_token[i]
            if i < len(SPECIAL_TOKENS):
                data += tok.encode("utf-8")
            else:
                data += bytes(CHAR_TO_BYTE[c] for c in tok)
        return data.decode("utf-8", errors="replace")


def write_hf_files(out_dir, vocab, merges, model_max_length):
    """写 tokenizer.json（HF tokenizers 格式）与 tokenizer_config.json（含聊天模板）。"""
    added = [{"id": vocab[tok], "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": normalized, "special": special} for tok, special, normalized in SPECIAL_TOKENS]
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": []},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": p}, "behavior": "Isolated", "invert": False}
            for p in SPLIT_PATTERNS] + [
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    with open(f"{out_dir}/tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
        f.write("\n")

    def added_token(content):
        return {"__type": "AddedToken", "content": content, "lstrip": False, "normalized": True,
                "rstrip": False, "single_word": False}
    config = {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": added_token(BOS),
        "eos_token": added_token(EOS),
        "pad_token": added_token(EOS),
        "clean_up_tokenization_spaces": False,
        "legacy": True,
        "model_max_length": model_max_length,
        "sp_model_kwargs": {},
        "unk_token": None,
        "tokenizer_class": "LlamaTokenizerFast",
        "chat_template": CHAT_TEMPLATE,
    }
    with open(f"{out_dir}/tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=2)
        f.write("\n")
