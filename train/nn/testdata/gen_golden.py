# Generates golden.json for bert_golden_test.go: a tiny BERT classifier written
# with PyTorch primitives in the shape of Hugging Face's BertModel (post-LN,
# extended attention mask with finfo.min, tanh pooler on [CLS]) plus the
# paper's head, evaluated without dropout. Weights follow a closed formula so
# that Go rebuilds them without a weight file.
#   /usr/bin/python3 gen_golden.py > golden.json     (torch 1.13, CPU, float32)
import json, math, torch, torch.nn.functional as F

torch.set_num_threads(1)
V, H, NH, FF, L, P, TV, C = 13, 8, 2, 16, 2, 10, 2, 3
ids = [[2, 5, 7, 3, 0], [2, 9, 3, 0, 0], [2, 4, 4, 6, 3]]
types = [[0, 0, 1, 1, 0], [0, 0, 0, 0, 0], [0, 1, 1, 1, 1]]
mask = [[1, 1, 1, 1, 0], [1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
labels = [2, 0, 1]

def names_shapes():
    out = [("embeddings.word_embeddings.weight", (V, H)), ("embeddings.position_embeddings.weight", (P, H)),
           ("embeddings.token_type_embeddings.weight", (TV, H)), ("embeddings.LayerNorm.weight", (H,)),
           ("embeddings.LayerNorm.bias", (H,))]
    for i in range(L):
        p = f"encoder.layer.{i}."
        for n in ("query", "key", "value"):
            out += [(p + f"attention.self.{n}.weight", (H, H)), (p + f"attention.self.{n}.bias", (H,))]
        out += [(p + "attention.output.dense.weight", (H, H)), (p + "attention.output.dense.bias", (H,)),
                (p + "attention.output.LayerNorm.weight", (H,)), (p + "attention.output.LayerNorm.bias", (H,)),
                (p + "intermediate.dense.weight", (FF, H)), (p + "intermediate.dense.bias", (FF,)),
                (p + "output.dense.weight", (H, FF)), (p + "output.dense.bias", (H,)),
                (p + "output.LayerNorm.weight", (H,)), (p + "output.LayerNorm.bias", (H,))]
    return out + [("pooler.dense.weight", (H, H)), ("pooler.dense.bias", (H,)), ("output.weight", (C, H)), ("output.bias", (C,))]

def value(i, j, name):
    # Same formula in bert_golden_test.go (computed in float64, rounded to float32).
    v = 0.3 * math.sin(0.9 * j + 1.3 * i + 0.5)
    return v + 1.0 if name.endswith("LayerNorm.weight") else v

def run(act):
    W = {}
    for i, (n, s) in enumerate(names_shapes()):
        k = math.prod(s)
        W[n] = torch.tensor([value(i, j, n) for j in range(k)], dtype=torch.float64).float().reshape(s).requires_grad_()
    lin = lambda x, p: x @ W[p + ".weight"].T + W[p + ".bias"]
    ln = lambda x, p: F.layer_norm(x, (H,), W[p + ".weight"], W[p + ".bias"], eps=1e-12)
    idt, tt, m = torch.tensor(ids), torch.tensor(types), torch.tensor(mask, dtype=torch.float32)
    B, T = idt.shape
    x = F.embedding(idt, W["embeddings.word_embeddings.weight"], padding_idx=0) + W["embeddings.position_embeddings.weight"][:T] + W["embeddings.token_type_embeddings.weight"][tt]
    x = ln(x, "embeddings.LayerNorm")
    ext = (1.0 - m)[:, None, None, :] * torch.finfo(torch.float32).min
    d = H // NH
    for i in range(L):
        p = f"encoder.layer.{i}."
        split = lambda t: t.view(B, T, NH, d).permute(0, 2, 1, 3)
        q, k, v = (split(lin(x, p + "attention.self." + n)) for n in ("query", "key", "value"))
        probs = (q @ k.transpose(-1, -2) / math.sqrt(d) + ext).softmax(-1)
        ctx = (probs @ v).permute(0, 2, 1, 3).reshape(B, T, H)
        a = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        hmid = lin(a, p + "intermediate.dense")
        hmid = F.gelu(hmid) if act == "gelu" else F.gelu(hmid, approximate="tanh")
        x = ln(lin(hmid, p + "output.dense") + a, p + "output.LayerNorm")
    pooled = torch.tanh(lin(x[:, 0], "pooler.dense"))
    logits = lin(pooled, "output")
    loss = F.cross_entropy(logits, torch.tensor(labels))
    loss.backward()
    return {"logits": logits.detach().flatten().tolist(), "loss": loss.item(),
            "grads": {n: W[n].grad.flatten().tolist() for n, _ in names_shapes()}}

print(json.dumps({"torch": torch.__version__, "ids": ids, "types": types, "mask": mask, "labels": labels,
                  "gelu": run("gelu"), "gelu_new": run("gelu_new")}))
