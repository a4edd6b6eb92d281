// Golden token ids from Hugging Face tokenizers (the Rust library, 0.22.2,
// through the prebuilt npm binding @anush008/tokenizers@0.6.0). The output,
// golden_hf.json, is the source of truth of tokenizer_golden_test.go: the Go
// tokenizers must produce these ids exactly.
//
// Rerun (offline, no Python transformers needed):
//   mkdir -p /tmp/tokgold && cd /tmp/tokgold && npm install @anush008/tokenizers@0.6.0
//   /usr/bin/python3 gen_spm.py /work/shared/tokenizers > golden_spm.json   # also writes /tmp/albert_proto.json
//   NODE_PATH=/tmp/tokgold/node_modules node gen_golden.js /work/shared/tokenizers > golden_hf.json
//
// Tokenizers:
//   bert-base-uncased, all-minilm-l6-v2, cohere: their tokenizer.json files.
//   roberta-base: vocab.json + merges.txt assembled as transformers'
//     RobertaConverter does (byte-level BPE, ByteLevel pre-tokenizer without
//     prefix space, RobertaProcessing, <mask> with lstrip).
//   albert-base-v2: spiece.model assembled as transformers' AlbertConverter
//     does for AlbertTokenizerFast (Replace ``/'' → ", NFKD, StripAccents,
//     Lowercase, Precompiled charsmap, Replace " {2,}" → " ", Metaspace,
//     Unigram with number-comma pieces penalised by 100, [CLS] $A [SEP]).
// Each tokenizer encodes every single and pair of texts.json twice: without
// truncation (max 512) and truncated to 16 tokens (specials included).
const fs = require("fs");
const tk = require("@anush008/tokenizers");

const dir = process.argv[2] || "/work/shared/tokenizers";
const texts = JSON.parse(fs.readFileSync(__dirname + "/texts.json", "utf8"));

function checkNumberComma(piece) {
  // transformers' check_number_comma: false for pieces ending in digit + ","
  const cs = Array.from(piece);
  return cs.length < 2 || cs[cs.length - 1] !== "," || !/^[0-9]$/.test(cs[cs.length - 2]);
}

function albertJSON() {
  const proto = JSON.parse(fs.readFileSync("/tmp/albert_proto.json", "utf8"));
  const vocab = proto.pieces.map(([p, s]) => [p, checkNumberComma(p) ? s : s - 100]);
  const special = (id, content) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return JSON.stringify({
    version: "1.0", truncation: null, padding: null,
    added_tokens: [special(0, "<pad>"), special(1, "<unk>"), special(2, "[CLS]"), special(3, "[SEP]"), special(4, "[MASK]")],
    normalizer: { type: "Sequence", normalizers: [
      { type: "Replace", pattern: { String: "``" }, content: "\"" },
      { type: "Replace", pattern: { String: "''" }, content: "\"" },
      { type: "NFKD" }, { type: "StripAccents" }, { type: "Lowercase" },
      { type: "Precompiled", precompiled_charsmap: proto.charsmap },
      { type: "Replace", pattern: { Regex: " {2,}" }, content: " " },
    ] },
    pre_tokenizer: { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true },
    post_processor: { type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } }],
      special_tokens: { "[CLS]": { id: "[CLS]", ids: [2], tokens: ["[CLS]"] }, "[SEP]": { id: "[SEP]", ids: [3], tokens: ["[SEP]"] } } },
    decoder: null,
    model: { type: "Unigram", unk_id: 1, vocab, byte_fallback: false },
  });
}

async function roberta() {
  const model = await tk.BPE.fromFile(dir + "/roberta-base-vocab.json", dir + "/roberta-base-merges.txt", {});
  const t = new tk.Tokenizer(model);
  t.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
  t.setPostProcessor(tk.robertaProcessing(["</s>", 2], ["<s>", 0], true, false));
  t.addAddedTokens([new tk.AddedToken("<s>", true), new tk.AddedToken("<pad>", true), new tk.AddedToken("</s>", true),
    new tk.AddedToken("<unk>", true), new tk.AddedToken("<mask>", true, { leftStrip: true })]);
  return t;
}

async function run(t) {
  const out = {};
  for (const [key, maxLen] of [["full", 512], ["trunc16", 16]]) {
    t.setTruncation(maxLen);
    t.disablePadding();
    const singles = [];
    for (const s of texts.singles) singles.push((await t.encode(s)).getIds());
    const pairs = [];
    for (const [a, b] of texts.pairs) pairs.push((await t.encode(a, b)).getIds());
    out[key] = { max_len: maxLen, singles, pairs };
  }
  return out;
}

(async () => {
  const result = { tokenizers_version: "0.22.2 (@anush008/tokenizers 0.6.0)", tokenizers: {} };
  const makers = {
    "bert-base-uncased": async () => tk.Tokenizer.fromFile(dir + "/bert-base-uncased.json"),
    "all-minilm-l6-v2": async () => tk.Tokenizer.fromFile(dir + "/all-minilm-l6-v2.json"),
    "cohere": async () => tk.Tokenizer.fromFile(dir + "/cohere-tokenizer.json"),
    "roberta-base": roberta,
    "albert-base-v2": async () => tk.Tokenizer.fromString(albertJSON()),
  };
  for (const [name, make] of Object.entries(makers)) {
    result.tokenizers[name] = await run(await make());
  }
  // One JSON document, one line per encoding, so diffs stay readable.
  let s = JSON.stringify(result);
  s = s.replace(/\],\[/g, "],\n[");
  process.stdout.write(s + "\n");
})().catch((e) => { console.error(e); process.exit(1); });
