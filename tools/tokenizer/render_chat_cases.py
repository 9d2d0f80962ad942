"""生成 tests/data/tokenizer/chat/<族>.cases.jsonl：用 jinja2 按 transformers 的方式
（trim_blocks、lstrip_blocks、沙箱环境、raise_exception）渲染同目录下的 <族>.jinja 模板。

先用 deepseek-v3.jinja 复现 deepseek-v3/chat_cases.jsonl（@huggingface/jinja 渲染）作为自检。
用法：python3 tools/tokenizer/render_chat_cases.py
"""
import json
import pathlib

from jinja2.sandbox import ImmutableSandboxedEnvironment

DATA = pathlib.Path(__file__).resolve().parents[2] / "tests/data/tokenizer"
BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"


def raise_exception(message):
    raise RuntimeError(message)


def render(template, messages, add_generation_prompt, bos=BOS, eos=EOS):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(
        messages=messages, add_generation_prompt=add_generation_prompt, bos_token=bos, eos_token=eos)


def tool_call(name, arguments):
    return {"type": "function", "function": {"name": name, "arguments": arguments}}


CONVERSATIONS = {
    "single_turn": [{"role": "user", "content": "你好！"}],
    "system_multi_turn": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "1+1?"},
        {"role": "assistant", "content": "2"},
        {"role": "user", "content": "And 2+2?\n"},
    ],
    "two_systems": [
        {"role": "system", "content": "A."},
        {"role": "system", "content": "B."},
        {"role": "user", "content": "hi"},
    ],
    "assistant_with_think": [
        {"role": "user", "content": "Why?"},
        {"role": "assistant", "content": "<think>\nreasoning...\n</think>\n\nBecause."},
        {"role": "user", "content": "OK"},
    ],
    "empty": [],
}
TOOL_CONVERSATIONS = {
    "two_tool_calls": [
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": None, "tool_calls": [
            tool_call("get_weather", '{"city": "Paris"}'), tool_call("get_weather", '{"city": "Rome"}')]},
        {"role": "tool", "content": "18"},
        {"role": "tool", "content": "25"},
        {"role": "assistant", "content": "Paris 18, Rome 25."},
    ],
    "tool_output_pending": [
        {"role": "user", "content": "Time?"},
        {"role": "assistant", "content": None, "tool_calls": [tool_call("now", "{}")]},
        {"role": "tool", "content": "12:00"},
    ],
}
FAMILIES = {
    "deepseek-v3": {**CONVERSATIONS, **TOOL_CONVERSATIONS},
    "deepseek-r1": {**CONVERSATIONS, **TOOL_CONVERSATIONS},
    "deepseek-v2": {k: v for k, v in CONVERSATIONS.items()},
    "chatml": CONVERSATIONS,
}


def self_check():
    template = json.loads((DATA / "deepseek-v3/tokenizer_config.json").read_text())["chat_template"]
    for line in (DATA / "deepseek-v3/chat_cases.jsonl").read_text().splitlines():
        case = json.loads(line)
        got = render(template, case["messages"], case["add_generation_prompt"], case["bos_token"])
        assert got == case["prompt"], case["name"]


def main():
    self_check()
    for family, conversations in FAMILIES.items():
        template = (DATA / f"chat/{family}.jinja").read_text().rstrip("\n")
        rows = []
        for name, messages in conversations.items():
            for gen in (False, True):
                rows.append({"name": name, "messages": messages, "add_generation_prompt": gen,
                             "bos_token": BOS, "eos_token": EOS,
                             "prompt": render(template, messages, gen)})
        path = DATA / f"chat/{family}.cases.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        print(f"{path.name}: {len(rows)} cases")


if __name__ == "__main__":
    main()
