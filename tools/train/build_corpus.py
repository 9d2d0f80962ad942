"""语料构建：从 Debian 软件包（apt-get download + dpkg-deb -x，不安装）抽取中英文自然文本。

职责：下载 .deb、抽取并清洗文本、切成文档块、按确定性规则划分训练/留出集，
写 `<cache>/corpus/{train,heldout}/<source>.jsonl`（每行 {"text": ...}）和清单 manifest.json。
来源与抽取方法见 ../shared/corpus.md；文本本身不进 git，只提交本脚本和清单。
"""
import glob
import gzip
import hashlib
import html.parser
import json
import os
import re
import struct
import subprocess
import zlib

# 包名 → 版本：固定版本，保证重建出同样的文本（清单里再记 sha256 以便核对）。
PACKAGES = {
    "bible-kjv": "4.38",
    "bible-kjv-text": "4.38",
    "r-cran-janeaustenr": "1.0.0-1",
    "fortunes": "1:1.99.1-7.3",
    "jargon-text": "4.4.7-4.1",
    "dict-devil": "1.0-13.1",
    "manpages-zh": "1.6.4.0-1",
    "fortunes-zh": "2.98",
    "debian-handbook": "11.20220922",
    "debian-reference-zh-cn": "2.100",
    "debian-faq-zh-cn": "11.1",
    "maint-guide-zh-cn": "1.2.53",
}

HELDOUT_EVERY = 50  # 每个来源的第 50、100、… 个文档块进留出集（约 2%）
BLOCK_CHARS = 1500  # 文档块的最小字符数：连续段落合并到至少这么长
HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOX = re.compile(r"[\u2500-\u257f]")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def fetch_packages(cache):
    """下载并解包；已解包的跳过。返回 {包名: 解包目录}。"""
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    missing = [p for p in PACKAGES if not glob.glob(os.path.join(debs, p + "_*.deb"))]
    if missing:
        run(["apt-get", "download"] + [f"{p}={PACKAGES[p]}" for p in missing], cwd=debs)
    roots = {}
    for pkg in PACKAGES:
        root = os.path.join(cache, "x", pkg)
        if not os.path.isdir(root):
            deb = glob.glob(os.path.join(debs, pkg + "_*.deb"))[0]
            os.makedirs(root)
            run(["dpkg-deb", "-x", deb, root])
        roots[pkg] = root
    return roots


def reflow(paragraph):
    """英文书籍是硬换行的：段内换行改成空格，段落才是语言单位；缩进的诗行保留换行。"""
    lines = [line for line in paragraph.splitlines() if line.strip()]
    joiner = "\n" if all(line.startswith("    ") for line in lines) else " "
    return joiner.join(line.strip() for line in lines)


def paragraphs(text):
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def han_ratio(line):
    chars = [c for c in line if not c.isspace()]
    return sum(1 for c in chars if HAN.match(c)) / len(chars) if chars else 0.0


def keep_chinese_lines(text):
    """只留至少 20% 非空白字符是汉字的行：去掉未翻译的英文、代码和表格（corpus.md）。"""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            if out and out[-1]:
                out.append("")
        elif han_ratio(line) >= 0.2:
            out.append(line)
    return "\n".join(out)


# ---------------- 各来源的抽取：返回文档列表（每个文档是一段纯文本） ----------------

def kjv(roots):
    exe = os.path.join(roots["bible-kjv"], "usr/bin/bible")
    data = os.path.join(roots["bible-kjv-text"], "usr/lib")
    text = run([exe, "-l100000", "-p", data, "gen1:1-rev22:21"], capture_output=True).stdout.decode()
    docs = []
    for chapter in paragraphs(text):
        lines = [ln.strip() for ln in chapter.splitlines() if ln.strip()]
        # 标题行（如 "Genesis 1"）保留；经文去掉节号
        docs.append("\n".join(re.sub(r"^\d+\s+", "", ln) for ln in lines))
    return docs


def read_r_character_vectors(path):
    """R 的 .rdb：若干 [4 字节长度][zlib] 块，每块是一个序列化的字符向量（一部小说的行）。"""
    raw = open(path, "rb").read()
    offset, books = 0, []
    while offset < len(raw):
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw[offset + 4:])
        offset = len(raw) - len(inflater.unused_data)
        pos = 2 + 12  # "X\n" + 3 个版本整数
        pos += 4 + struct.unpack(">i", data[pos:pos + 4])[0]  # nativeEncoding 字符串
        _, count = struct.unpack(">ii", data[pos:pos + 8])
        pos += 8
        lines = []
        for _ in range(count):
            _, size = struct.unpack(">ii", data[pos:pos + 8])
            pos += 8
            lines.append(data[pos:pos + size].decode("utf-8") if size >= 0 else "")
            pos += max(size, 0)
        books.append("\n".join(lines))
    return books


def austen(roots):
    rdb = os.path.join(roots["r-cran-janeaustenr"], "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb")
    docs = []
    for book in read_r_character_vectors(rdb):
        docs += [reflow(p) for p in paragraphs(book)]
    return docs


def fortune_records(path):
    text = ANSI.sub("", open(path, encoding="utf-8", errors="replace").read())
    return [r.strip("\n") for r in re.split(r"\n%\n", text) if r.strip()]


def fortunes(roots):
    folder = os.path.join(roots["fortunes"], "usr/share/games/fortunes")
    docs = []
    for path in sorted(glob.glob(os.path.join(folder, "*.u8"))):
        if os.path.basename(path).startswith("ascii-art"):
            continue
        docs += [r.replace("\t", "    ") for r in fortune_records(path)]
    return docs


def jargon(roots):
    path = os.path.join(roots["jargon-text"], "usr/share/doc/jargon-text/jargon.txt.gz")
    text = gzip.open(path, "rt", encoding="utf-8").read()
    return [reflow(p) for p in paragraphs(text) if len(p.split()) > 3]


def devil(roots):
    path = os.path.join(roots["dict-devil"], "usr/share/dictd/devil.dict.dz")
    text = gzip.open(path, "rt", encoding="utf-8", errors="replace").read()
    start = text.find("\nABASEMENT, n.")  # 跳过 dictd 头部与作者序言
    return [reflow(p) for p in paragraphs(text[start:])]


def manpages_zh(roots):
    docs = []
    pages = sorted(glob.glob(os.path.join(roots["manpages-zh"], "usr/share/man/zh_CN/man*/*.gz")))
    for page in pages:
        source = gzip.open(page).read()
        rendered = subprocess.run(
            ["groff", "-Kutf8", "-Tutf8", "-mandoc", "-rLL=4000n", "-dAD=l", "-P-cbou"],
            input=source, capture_output=True, env=dict(os.environ, LC_ALL="C.UTF-8")).stdout
        lines = rendered.decode("utf-8", errors="replace").splitlines()
        # 页眉页脚行（"LS(1)   用户命令   LS(1)"）中间有大段空白，去掉
        text = keep_chinese_lines("\n".join(ln for ln in lines if " " * 10 not in ln.strip()))
        if text.strip():
            docs.append(text.strip())
    return docs


def fortunes_zh(roots):
    folder = os.path.join(roots["fortunes-zh"], "usr/share/games/fortunes")
    docs = []
    for name in ("tang300", "song100", "chinese"):
        for record in fortune_records(os.path.join(folder, name)):
            if not BOX.search(record):  # 带制表框的是 Debian Reference 摘录，丢弃
                docs.append(record.strip())
    return docs


class _HtmlText(html.parser.HTMLParser):
    """HTML → 文本：块级元素换行，跳过脚本/样式。"""
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "tr", "pre", "dt", "dd", "title"}

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def handbook_zh(roots):
    docs = []
    folder = os.path.join(roots["debian-handbook"], "usr/share/doc/debian-handbook/html/zh-CN")
    for page in sorted(glob.glob(os.path.join(folder, "*.html"))):
        parser = _HtmlText()
        parser.feed(open(page, encoding="utf-8").read())
        text = keep_chinese_lines("".join(parser.parts))
        if text.strip():
            docs.append(text.strip())
    return docs


def gz_text_zh(path):
    return [keep_chinese_lines(gzip.open(path, "rt", encoding="utf-8").read()).strip()]


SOURCES = {
    "en/kjv-bible": kjv,
    "en/jane-austen": austen,
    "en/fortunes": fortunes,
    "en/jargon": jargon,
    "en/devils-dictionary": devil,
    "zh/manpages-zh": manpages_zh,
    "zh/fortunes-zh": fortunes_zh,
    "zh/debian-handbook": handbook_zh,
    "zh/debian-reference": lambda r: gz_text_zh(os.path.join(
        r["debian-reference-zh-cn"], "usr/share/debian-reference/debian-reference.zh-cn.txt.gz")),
    "zh/debian-faq": lambda r: gz_text_zh(os.path.join(
        r["debian-faq-zh-cn"], "usr/share/doc/debian/FAQ/debian-faq.zh-cn.txt.gz")),
    "zh/maint-guide": lambda r: gz_text_zh(os.path.join(
        r["maint-guide-zh-cn"], "usr/share/doc/maint-guide-zh-cn/maint-guide.zh-cn.txt.gz")),
}


def to_blocks(docs):
    """把文档切成段落、再合并成 ≥ BLOCK_CHARS 的块；块是训练样本和划分的单位。"""
    blocks, current = [], []
    for doc in docs:
        for para in paragraphs(doc) if len(doc) > BLOCK_CHARS else [doc]:
            current.append(para.strip("\n"))
            if sum(len(p) for p in current) >= BLOCK_CHARS:
                blocks.append("\n\n".join(current))
                current = []
    if current:
        blocks.append("\n\n".join(current))
    return blocks


def write_jsonl(path, blocks):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for b in blocks:
            f.write(json.dumps({"text": b}, ensure_ascii=False) + "\n")
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def build(cache, manifest_path=None):
    """构建语料；返回清单（并可写到 manifest_path）。已构建则直接读清单。"""
    corpus = os.path.join(cache, "corpus")
    done = os.path.join(corpus, "manifest.json")
    if os.path.exists(done):
        return json.load(open(done))
    roots = fetch_packages(cache)
    manifest = {"packages": PACKAGES, "heldout_every": HELDOUT_EVERY, "block_chars": BLOCK_CHARS,
                "sources": {}}
    for name, extract in SOURCES.items():
        blocks = to_blocks(extract(roots))
        heldout = [b for i, b in enumerate(blocks) if (i + 1) % HELDOUT_EVERY == 0]
        train = [b for i, b in enumerate(blocks) if (i + 1) % HELDOUT_EVERY != 0]
        entry = {}
        for split, part in (("train", train), ("heldout", heldout)):
            sha = write_jsonl(os.path.join(corpus, split, name + ".jsonl"), part)
            entry[split] = {"blocks": len(part), "chars": sum(len(b) for b in part),
                            "bytes": sum(len(b.encode()) for b in part), "sha256": sha}
        manifest["sources"][name] = entry
        print(f"corpus {name}: train {entry['train']['bytes'] / 1e6:.2f} MB, "
              f"heldout {entry['heldout']['bytes'] / 1e6:.3f} MB", flush=True)
    text = json.dumps(manifest, ensure_ascii=False, indent=1)
    open(done, "w").write(text)
    if manifest_path:
        open(manifest_path, "w").write(text + "\n")
    return manifest


def read_split(cache, split):
    """返回 [(来源名, 块文本)]，来源按名字排序，块按原顺序。"""
    out = []
    for path in sorted(glob.glob(os.path.join(cache, "corpus", split, "*", "*.jsonl"))):
        name = os.path.relpath(path, os.path.join(cache, "corpus", split))[:-len(".jsonl")]
        out += [(name, json.loads(line)["text"]) for line in open(path, encoding="utf-8")]
    return out
