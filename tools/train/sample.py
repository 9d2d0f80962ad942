"""用 PyTorch 模型续写文本（模型卡里的样例）：贪心与带温度的采样，固定随机种子。
不用 KV 缓存，每步整段重算：样例很短，这样代码最简单。"""
import torch


@torch.no_grad()
def generate(model, tok, prompt, max_new_tokens, temperature=0.0, top_k=0, seed=0):
    ids = tok.encode(prompt, add_bos=True)
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(max_new_tokens):
        logits = model.logits(model.forward_main(torch.tensor([ids + out])))[0, -1].float()
        if temperature <= 0:
            nxt = int(logits.argmax())
        else:
            if top_k:
                kth = logits.topk(top_k).values[-1]
                logits = logits.masked_fill(logits < kth, float("-inf"))
            probs = (logits / temperature).softmax(-1)
            nxt = int(torch.multinomial(probs, 1, generator=gen))
        if nxt == tok.eos_id:
            break
        out.append(nxt)
    return tok.decode(out)
