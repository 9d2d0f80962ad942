"""最小的 safetensors 读写（Debian 12 没有 safetensors 包）。

格式：8 字节小端 u64 头长 N，N 字节 JSON 头 {name: {dtype, shape, data_offsets}}，其后是按头里顺序
紧密排列的小端原始数据（偏移相对数据区起点，不重叠）。bf16 以 int16 视图搬运字节，不经 numpy。
"""
import json
import struct

import torch

_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "I64": torch.int64,
           "I32": torch.int32}
_NAMES = {v: k for k, v in _DTYPES.items()}
_RAW = {torch.float32: torch.int32, torch.bfloat16: torch.int16, torch.float16: torch.int16,
        torch.int64: torch.int64, torch.int32: torch.int32}


def _to_bytes(t):
    # 经同宽整数视图转成 bytes：bf16 也能原样写出（numpy 不支持 bf16）
    flat = t.detach().contiguous().cpu().reshape(-1).view(_RAW[t.dtype])
    return flat.numpy().tobytes()


def save(path, tensors, metadata=None):
    """tensors: {name: torch.Tensor}，按给定顺序写。"""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name, t in tensors.items():
        data = _to_bytes(t)
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # 头部补空格到 8 字节对齐，数据区按 8 字节对齐便于 mmap
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for c in chunks:
            f.write(c)


def load(path):
    """返回 ({name: torch.Tensor}, metadata)。"""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        buf = bytearray(raw[base + begin:base + end])
        t = torch.frombuffer(buf, dtype=_RAW[dtype]).view(dtype) if buf else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    return out, meta
