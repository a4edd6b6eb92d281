# Generates the parity fixtures of hf_golden_test.go: tiny BERT, RoBERTa and
# ALBERT encoders with random weights stored as Hugging Face checkpoints
# (hf_<name>.safetensors, with HF's "bert."/"roberta."/"albert." prefixes, a
# masked-LM head and a position_ids buffer that the loader must ignore) and
# the expected pooler outputs, logits, loss and gradients (hf_golden.json)
# of an independent PyTorch implementation: HF's BertModel, RobertaModel
# and AlbertModel equations written with torch primitives (transformers is
# not installable here), plus the paper's head (Dropout → Linear "output").
# Dropout is 0 so that both sides are deterministic.
#
#   cd train/nn/testdata && /usr/bin/python3 gen_hf_golden.py      (torch 1.13, CPU, float32)
#
# The output files are the source of truth of the Go parity test.
import json, math, struct

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(20261126)

CONFIGS = {
    "bert": dict(model_type="bert", vocab_size=23, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=16, hidden_act="gelu", max_position_embeddings=12, type_vocab_size=2,
                 layer_norm_eps=1e-12, pad_token_id=0),
    "roberta": dict(model_type="roberta", vocab_size=23, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=16, hidden_act="gelu", max_position_embeddings=10, type_vocab_size=1,
                    layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2),
    "albert": dict(model_type="albert", vocab_size=23, embedding_size=6, hidden_size=8, num_hidden_layers=4,
                   num_hidden_groups=2, inner_group_num=1, num_attention_heads=2, intermediate_size=16,
                   hidden_act="gelu_new", max_position_embeddings=12, type_vocab_size=2, layer_norm_eps=1e-12,
                   pad_token_id=0),
    "albert_inner": dict(model_type="albert", vocab_size=23, embedding_size=6, hidden_size=8, num_hidden_layers=2,
                         num_hidden_groups=1, inner_group_num=2, num_attention_heads=2, intermediate_size=16,
                         hidden_act="gelu_new", max_position_embeddings=12, type_vocab_size=2, layer_norm_eps=1e-12,
                         pad_token_id=0),
}
for c in CONFIGS.values():
    c.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.02)
C = 3  # classes of the head
LABELS = [2, 0, 1]


def batch(cfg):
    pad = cfg["pad_token_id"]
    if cfg["model_type"] == "roberta":
        # <s> … </s> then padding with pad id 1, as the tokenizer pads.
        ids = [[0, 5, 7, 9, 2, pad, pad], [0, 11, 2, pad, pad, pad, pad], [0, 4, 4, 6, 8, 10, 2]]
    else:
        ids = [[2, 5, 7, 9, 3, pad, pad], [2, 11, 3, pad, pad, pad, pad], [2, 4, 4, 6, 8, 10, 3]]
    mask = [[int(i != pad) for i in row] for row in ids]
    return ids, mask


def shapes(name, cfg):
    """(checkpoint name, shape) in HF order, with the model prefix; head last."""
    V, H, I, P, TV = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"], cfg["max_position_embeddings"], cfg["type_vocab_size"]
    mt = cfg["model_type"]
    out = []
    if mt in ("bert", "roberta"):
        p = mt + "."
        out += [(p + "embeddings.word_embeddings.weight", (V, H)), (p + "embeddings.position_embeddings.weight", (P, H)),
                (p + "embeddings.token_type_embeddings.weight", (TV, H)), (p + "embeddings.LayerNorm.weight", (H,)),
                (p + "embeddings.LayerNorm.bias", (H,))]
        for i in range(cfg["num_hidden_layers"]):
            q = f"{p}encoder.layer.{i}."
            for n in ("query", "key", "value"):
                out += [(q + f"attention.self.{n}.weight", (H, H)), (q + f"attention.self.{n}.bias", (H,))]
            out += [(q + "attention.output.dense.weight", (H, H)), (q + "attention.output.dense.bias", (H,)),
                    (q + "attention.output.LayerNorm.weight", (H,)), (q + "attention.output.LayerNorm.bias", (H,)),
                    (q + "intermediate.dense.weight", (I, H)), (q + "intermediate.dense.bias", (I,)),
                    (q + "output.dense.weight", (H, I)), (q + "output.dense.bias", (H,)),
                    (q + "output.LayerNorm.weight", (H,)), (q + "output.LayerNorm.bias", (H,))]
        out += [(p + "pooler.dense.weight", (H, H)), (p + "pooler.dense.bias", (H,))]
    else:
        E = cfg["embedding_size"]
        p = "albert."
        out += [(p + "embeddings.word_embeddings.weight", (V, E)), (p + "embeddings.position_embeddings.weight", (P, E)),
                (p + "embeddings.token_type_embeddings.weight", (TV, E)), (p + "embeddings.LayerNorm.weight", (E,)),
                (p + "embeddings.LayerNorm.bias", (E,)),
                (p + "encoder.embedding_hidden_mapping_in.weight", (H, E)), (p + "encoder.embedding_hidden_mapping_in.bias", (H,))]
        for g in range(cfg["num_hidden_groups"]):
            for l in range(cfg["inner_group_num"]):
                q = f"{p}encoder.albert_layer_groups.{g}.albert_layers.{l}."
                out += [(q + "full_layer_layer_norm.weight", (H,)), (q + "full_layer_layer_norm.bias", (H,))]
                for n in ("query", "key", "value", "dense"):
                    out += [(q + f"attention.{n}.weight", (H, H)), (q + f"attention.{n}.bias", (H,))]
                out += [(q + "attention.LayerNorm.weight", (H,)), (q + "attention.LayerNorm.bias", (H,)),
                        (q + "ffn.weight", (I, H)), (q + "ffn.bias", (I,)), (q + "ffn_output.weight", (H, I)), (q + "ffn_output.bias", (H,))]
        out += [(p + "pooler.weight", (H, H)), (p + "pooler.bias", (H,))]
    return out + [("output.weight", (C, H)), ("output.bias", (C,))]


def extras(cfg):
    """Checkpoint entries the loader must ignore: MLM heads and a buffer."""
    H, V = cfg["hidden_size"], cfg["vocab_size"]
    mt = cfg["model_type"]
    if mt == "bert":
        return {"cls.predictions.bias": torch.randn(V), "cls.predictions.transform.dense.weight": torch.randn(H, H),
                "cls.seq_relationship.weight": torch.randn(2, H), "bert.embeddings.position_ids": torch.arange(cfg["max_position_embeddings"]).float()}
    if mt == "roberta":
        return {"lm_head.bias": torch.randn(V), "lm_head.dense.weight": torch.randn(H, H), "lm_head.layer_norm.weight": torch.randn(H)}
    E = cfg["embedding_size"]
    return {"predictions.bias": torch.randn(V), "predictions.dense.weight": torch.randn(E, H), "sop_classifier.classifier.weight": torch.randn(2, H)}


def act(x, name):
    return F.gelu(x) if name == "gelu" else F.gelu(x, approximate="tanh")


def forward(W, cfg, ids, mask):
    mt = cfg["model_type"]
    p = {"bert": "bert.", "roberta": "roberta.", "albert": "albert."}[mt]
    H, NH, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    lin = lambda x, n: x @ W[n + ".weight"].T + W[n + ".bias"]
    ln = lambda x, n: F.layer_norm(x, (x.shape[-1],), W[n + ".weight"], W[n + ".bias"], eps=eps)
    idt, m = torch.tensor(ids), torch.tensor(mask, dtype=torch.float32)
    B, T = idt.shape
    pad = cfg["pad_token_id"]
    if mt == "roberta":  # create_position_ids_from_input_ids
        nonpad = idt.ne(pad).int()
        pos = (torch.cumsum(nonpad, dim=1) * nonpad).long() + pad
    else:
        pos = torch.arange(T).expand(B, T)
    x = (F.embedding(idt, W[p + "embeddings.word_embeddings.weight"], padding_idx=pad)
         + F.embedding(pos, W[p + "embeddings.position_embeddings.weight"], padding_idx=pad if mt == "roberta" else None)
         + W[p + "embeddings.token_type_embeddings.weight"][torch.zeros_like(idt)])
    x = ln(x, p + "embeddings.LayerNorm")
    ext = (1.0 - m)[:, None, None, :] * torch.finfo(torch.float32).min
    d = H // NH
    split = lambda t: t.view(B, T, NH, d).permute(0, 2, 1, 3)

    def attend(x, q, k, v):
        q, k, v = split(lin(x, q)), split(lin(x, k)), split(lin(x, v))
        probs = (q @ k.transpose(-1, -2) / math.sqrt(d) + ext).softmax(-1)
        return (probs @ v).permute(0, 2, 1, 3).reshape(B, T, H)

    if mt in ("bert", "roberta"):
        for i in range(cfg["num_hidden_layers"]):
            q = f"{p}encoder.layer.{i}."
            ctx = attend(x, q + "attention.self.query", q + "attention.self.key", q + "attention.self.value")
            a = ln(lin(ctx, q + "attention.output.dense") + x, q + "attention.output.LayerNorm")
            h = act(lin(a, q + "intermediate.dense"), cfg["hidden_act"])
            x = ln(lin(h, q + "output.dense") + a, q + "output.LayerNorm")
        pooled = torch.tanh(lin(x[:, 0], p + "pooler.dense"))
    else:
        x = lin(x, p + "encoder.embedding_hidden_mapping_in")
        L, G = cfg["num_hidden_layers"], cfg["num_hidden_groups"]
        for i in range(L):
            g = int(i / (L / G))  # AlbertTransformer's group index
            for l in range(cfg["inner_group_num"]):
                q = f"{p}encoder.albert_layer_groups.{g}.albert_layers.{l}."
                ctx = attend(x, q + "attention.query", q + "attention.key", q + "attention.value")
                a = ln(x + lin(ctx, q + "attention.dense"), q + "attention.LayerNorm")
                f = lin(act(lin(a, q + "ffn"), cfg["hidden_act"]), q + "ffn_output")
                x = ln(f + a, q + "full_layer_layer_norm")
        pooled = torch.tanh(lin(x[:, 0], p + "pooler"))
    return pooled, lin(pooled, "output")


def save_safetensors(path, tensors):
    """A plain F32 safetensors writer (the format: u64 header length, JSON header, raw data)."""
    header, data, off = {}, b"", 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().float()
        raw = struct.pack(f"<{t.numel()}f", *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


out = {"torch": torch.__version__, "labels": LABELS, "models": {}}
for name, cfg in CONFIGS.items():
    W = {}
    for n, s in shapes(name, cfg):
        if n.endswith("LayerNorm.weight") or n.endswith("layer_norm.weight"):
            v = 1 + 0.1 * torch.randn(s)
        else:
            v = 0.3 * torch.randn(s)
        W[n] = v.float().requires_grad_()
    ckpt = {n: v for n, v in W.items()}
    ckpt.update(extras(cfg))
    save_safetensors(f"hf_{name}.safetensors", ckpt)
    with open(f"hf_{name}_config.json", "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
    ids, mask = batch(cfg)
    pooled, logits = forward(W, cfg, ids, mask)
    loss = F.cross_entropy(logits, torch.tensor(LABELS))
    loss.backward()
    out["models"][name] = {
        "ids": ids, "mask": mask,
        "pooled": pooled.detach().flatten().tolist(), "logits": logits.detach().flatten().tolist(), "loss": loss.item(),
        "grads": {n: W[n].grad.flatten().tolist() for n, _ in shapes(name, cfg)},
    }
with open("hf_golden.json", "w") as f:
    json.dump(out, f)
