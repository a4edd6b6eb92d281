# Builds texts.json, the inputs of the tokenizer golden tests: lines sampled
# deterministically from the real datasets (../shared/datasets) plus
# hand-picked hard cases (accents, emoji, CJK, long words, numbers,
# punctuation runs, control characters, empty strings, pairs).
#
#   /usr/bin/python3 gen_texts.py /work/shared/datasets > texts.json
#
# Then run gen_golden.js (Hugging Face tokenizers) and gen_spm.py
# (SentencePiece) on texts.json: those outputs are the source of truth that
# the Go tests compare against, id for id.
import csv, json, random, sys

root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/datasets"
rng = random.Random(20261126)


def sample(lines, k):
    lines = [l for l in lines if l.strip()]
    return rng.sample(lines, min(k, len(lines)))


def read(path):
    with open(f"{root}/{path}", encoding="utf-8-sig") as f:
        return f.read().splitlines()


singles = []
singles += [l.split("\t")[0] for l in sample(read("sst2/alps_train.tsv")[1:], 70)]
singles += [l.split(" ", 1)[1] for l in sample(read("trec/train.txt"), 50)]
singles += sample(read("snips/train.seq.in"), 40)
with open(f"{root}/agnews/test.csv", encoding="utf-8") as f:
    rows = list(csv.reader(f))[1:]
singles += [r[1] + " " + r[2] for r in rng.sample(rows, 50)]
singles += [l.split("\t")[3] for l in sample(read("cola/in_domain_train.tsv"), 20)]
mrpc = [l.split("\t") for l in read("mrpc/msr_paraphrase_train.txt")[1:]]
mrpc_pairs = [[r[3], r[4]] for r in rng.sample(mrpc, 40)]
# The data layer flattens pairs into one string, as the paper does.
singles += [f"Sentence 1: {a}; Sentence 2: {b}" for a, b in mrpc_pairs[:15]]

hard = [
    "", " ", "\t\n", "Hello world", "   leading and trailing   ", "  multiple    spaces   here  ",
    "Héllo Wörld café naïve résumé Ångström", "ÀÉÎÕÜ ÅÆØ ß ǅ İstanbul ŁÓDŹ", "combining e\u0301 a\u0308 n\u0303",
    "日本語のテキスト 中文分词 한국어 텍스트", "ﾊﾝｶｸ ｶﾀｶﾅ half-width katakana", "ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ １２３",
    "emoji 😀👍🏽 👨‍👩‍👧 🇩🇪 ❤️ 🥰 🫠", "Ελληνικά Русский текст العربية עברית हिन्दी",
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 120, "x" * 99 + " " + "y" * 101,
    "1,234,567.89 3.14159 2024-01-01 $2.5 billion 10% 42, 7,", "numbers 3,5 and 1,000,000, commas 42,",
    "!!!??? ... --- ,,, ;;; ''' \"\"\" ((( ))) @@@ ### $$$ ^^^ ~~~ |||", "don't won't I'm you're we've they'll he'd it's O'Neil's",
    "tab\tseparated\nnew line\r\nwindows\rcarriage", "control\x00char\x07s \u200b zero width \ufeff bom \x1f unit",
    "``quoted'' text and ``more''", "ligature ﬁ ﬂ ½ ² ™ ℃ № Ⅻ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math letters 𝟙𝟚𝟛",
    "\u00a0nbsp\u3000ideographic\u2009thin\u2028line", "[CLS] literal [SEP] tokens [MASK] <s> </s> <mask> <pad>",
    "URL http://example.com/path?x=1&y=2#frag email a.b@c.org", "#36;10 million &lt;b&gt; &amp; quot; #39;s",
    "UPPER lower MiXeD CamelCaseWord iPhone", "\\backslash\\ /slash/ \"quotes\" 'single'", "–—― dashes … ellipsis «guillemets» „low“",
    "a", ".", "?", "'s", " 's", "😀", "\u0301", "\ufffd replacement", "ǅemal ǈjubljana ǋ", "Straße STRASSE ﬀ",
]
pairs = mrpc_pairs + [
    ["", "only the second"], ["only the first", ""], ["short", "a much longer second sentence " * 8],
    ["Héllo 😀", "日本語 text"], ["What is the capital of France ?", "Paris is the capital of France ."],
]
print(json.dumps({"singles": singles + hard, "pairs": pairs}, ensure_ascii=False, indent=0))
