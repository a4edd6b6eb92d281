# Golden ALBERT token ids from Google's SentencePiece (Debian
# python3-sentencepiece 0.1.97) with transformers' slow AlbertTokenizer
# preprocessing (remove_space, ``/'' → ", NFKD without combining marks,
# lower-case, the digit-comma re-split), written by hand here since
# transformers is not installable. Output: golden_spm.json, a second
# reference for the Unigram tokenizer (the first, golden_hf.json, is the fast
# tokenizer that AutoTokenizer returns). It also writes /tmp/albert_proto.json
# (pieces, scores, base64 precompiled charsmap) for gen_golden.js.
#
#   apt-get install -y python3-sentencepiece
#   /usr/bin/python3 gen_spm.py /work/shared/tokenizers > golden_spm.json
import base64, json, os, struct, sys, unicodedata

import sentencepiece as spm

root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/tokenizers"
path = f"{root}/albert-base-v2-spiece.model"
raw = open(path, "rb").read()


def fields(buf):
    """Minimal protobuf wire-format reader: yields (field, wiretype, value)."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = buf[i:i + n], i + n
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(wt)
        yield f, wt, v


def varint(buf, i):
    r = s = 0
    while True:
        b = buf[i]
        i += 1
        r |= (b & 0x7F) << s
        s += 7
        if b < 0x80:
            return r, i


pieces, charsmap = [], b""
for f, wt, v in fields(raw):
    if f == 1:
        p = dict((ff, vv) for ff, _, vv in fields(v))
        pieces.append([p[1].decode(), struct.unpack("<f", p[2])[0]])
    elif f == 3:
        for ff, _, vv in fields(v):
            if ff == 2:
                charsmap = vv
json.dump({"pieces": pieces, "charsmap": base64.b64encode(charsmap).decode()}, open("/tmp/albert_proto.json", "w"))

sp = spm.SentencePieceProcessor(model_file=path)


def preprocess(text):
    out = " ".join(text.strip().split())
    out = out.replace("``", '"').replace("''", '"')
    out = unicodedata.normalize("NFKD", out)
    out = "".join(c for c in out if not unicodedata.combining(c))
    return out.lower()


def tokenize(text):
    pieces = sp.encode(preprocess(text), out_type=str)
    new = []
    for piece in pieces:
        if len(piece) > 1 and piece[-1] == "," and piece[-2].isdigit():
            cur = sp.encode(piece[:-1].replace("▁", ""), out_type=str)
            if piece[0] != "▁" and cur[0][0] == "▁":
                if len(cur[0]) == 1:
                    cur = cur[1:]
                else:
                    cur[0] = cur[0][1:]
            cur.append(piece[-1])
            new.extend(cur)
        else:
            new.append(piece)
    return [sp.piece_to_id(p) for p in new]


def truncate(a, b, budget):
    # transformers' longest_first: drop one token at a time from the longer.
    a, b = list(a), list(b) if b is not None else None
    while len(a) + (len(b) if b is not None else 0) > budget:
        if b is not None and len(b) > len(a):
            b.pop()
        else:
            a.pop()
    return a, b


texts = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "texts.json")))
out = {"sentencepiece_version": spm.__version__}
for key, max_len in (("full", 512), ("trunc16", 16)):
    singles = []
    for s in texts["singles"]:
        a, _ = truncate(tokenize(s), None, max_len - 2)
        singles.append([2] + a + [3])
    pairs = []
    for s1, s2 in texts["pairs"]:
        a, b = truncate(tokenize(s1), tokenize(s2), max_len - 3)
        pairs.append([2] + a + [3] + b + [3])
    out[key] = {"max_len": max_len, "singles": singles, "pairs": pairs}
s = json.dumps(out).replace("], [", "],\n[")
print(s)
