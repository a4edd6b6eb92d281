# PyTorch side of `deni bench bertmini` / `bertmini-population` (scripts/bench-vs-torch.sh):
# the same model shapes, batches, optimizer and step as deni's benchmark of its real workload.
#
#   deni bench --export-batches batches.json bertmini       # deni-bert-mini's shapes + the TREC batches
#   OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 scripts/torch_bertmini.py batches.json [STEPS] [population]
#
# Model: BERT as Hugging Face's BertForSequenceClassification computes it (word + position + token type
# embeddings, LayerNorm, dropout; post-LN layers with separate query/key/value projections, padding mask,
# attention dropout, GELU-erf FFN; tanh pooler on [CLS]) with the paper's head (dropout, linear). Weights are
# drawn at random (N(0, 0.02)): the speed does not depend on them. Adam (torch defaults, lr from the file)
# over every parameter, the embedding table included; zero_grad, forward, cross-entropy, backward, step.
# The batches are deni's (ids, mask, labels), used in the file's order, as deni's benchmark uses them.
# STEPS counts model steps (default 300); "population" trains 10 models on each batch, one after the
# other (a DENI member phase), timing STEPS/10 population steps after 15 warm-up ones; otherwise 20 warm-up
# steps. Prints one line: steps/s, steps per CPU-second and GFLOP/s (deni's analytic train_flops).
import json, math, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
path = sys.argv[1]
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
population = len(sys.argv) > 3 and sys.argv[3] == "population"
e = json.load(open(path))
H, L, A, I = e["hidden_size"], e["num_hidden_layers"], e["num_attention_heads"], e["intermediate_size"]
V, P, TV, C = e["vocab_size"], e["max_position_embeddings"], e["type_vocab_size"], e["classes"]
eps, pdrop, adrop, hdrop = e["layer_norm_eps"], e["hidden_dropout_prob"], e["attention_probs_dropout_prob"], e["head_dropout"]
assert e["hidden_act"] == "gelu"
batches = [(torch.tensor(b["ids"]), torch.tensor(b["mask"]), torch.tensor(b["labels"])) for b in e["batches"]]


class Layer(nn.Module):
    def __init__(s):
        super().__init__()
        s.q, s.k, s.v, s.o = nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H), nn.Linear(H, H)
        s.ln1, s.f1, s.f2, s.ln2 = nn.LayerNorm(H, eps=eps), nn.Linear(H, I), nn.Linear(I, H), nn.LayerNorm(H, eps=eps)

    def forward(s, x, bias):
        B, T, _ = x.shape
        d = H // A
        q, k, v = (t(x).view(B, T, A, d).transpose(1, 2) for t in (s.q, s.k, s.v))
        a = (q @ k.transpose(-1, -2)) / math.sqrt(d) + bias
        a = F.dropout(a.softmax(-1), adrop, s.training)
        y = (a @ v).transpose(1, 2).reshape(B, T, H)
        x = s.ln1(x + F.dropout(s.o(y), pdrop, s.training))
        return s.ln2(x + F.dropout(s.f2(F.gelu(s.f1(x))), pdrop, s.training))


class BertMini(nn.Module):
    def __init__(s):
        super().__init__()
        s.word, s.pos, s.typ = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(TV, H)
        s.ln = nn.LayerNorm(H, eps=eps)
        s.layers = nn.ModuleList([Layer() for _ in range(L)])
        s.pool, s.head = nn.Linear(H, H), nn.Linear(H, C)
        for m in s.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(s, ids, mask):
        T = ids.shape[1]
        x = s.word(ids) + s.pos.weight[:T] + s.typ.weight[0]
        x = F.dropout(s.ln(x), pdrop, s.training)
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for l in s.layers:
            x = l(x, bias)
        return s.head(F.dropout(torch.tanh(s.pool(x[:, 0])), hdrop, s.training))


models = [BertMini()]
if population:
    import copy
    models += [copy.deepcopy(models[0]) for _ in range(9)]
opts = [torch.optim.Adam(m.parameters(), lr=e["lr"]) for m in models]
for m in models:
    m.train()
pos = 0


def step():
    global pos
    ids, mask, labels = batches[pos % len(batches)]
    flops = e["train_flops"][pos % len(batches)] * len(models) / e["models"]
    pos += 1
    for m, o in zip(models, opts):
        o.zero_grad()
        F.cross_entropy(m(ids, mask), labels).backward()
        o.step()
    return flops


warm = 15 if population else 20
timed = max(steps // len(models), 1)
for _ in range(warm):
    step()
t, c = time.perf_counter(), time.process_time()
flops = sum(step() for _ in range(timed))
dt, dc = time.perf_counter() - t, time.process_time() - c
name = "bertmini-population" if population else "bertmini"
print(f"RESULT torch {torch.__version__} {name} steps={timed} steps/s={timed/dt:.2f} steps/cpus={timed/dc:.2f} gflops={flops/dt/1e9:.2f}")
