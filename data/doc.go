// Package data is deni's data layer: the dataset registry, loaders for the
// real file formats, the canonical schema, the paper's stratified split and
// class-balanced labelled selection, and the embedded default dataset (TREC).
//
// # Reading
//
// Every file is read through DuckDB (an in-memory database per Load, opened
// offline: extension auto-install/auto-load off, a private
// extension_directory) and handed over through DuckDB's Arrow interface
// (build tag duckdb_arrow); no Arrow view is ever registered in DuckDB. TSV
// files are read with quoting off (quote and escape set to the empty
// string), because SST-2 and MRPC texts contain stray double quotes; CSV
// files with RFC 4180 quoting;
// JSONL with read_json; Parquet with read_parquet; the one-record-per-line
// files (TREC, SNIPS) with read_text. The rows are validated in Go and pooled
// into [Schema] (id, text, label, label_name, source_split); [Dataset] holds
// them as Go slices and [Dataset.Record] gives the Arrow record.
//
// Texts are kept verbatim (no trimming, no entity decoding): only line
// terminators and a UTF-8 BOM are removed. Row ids are
// "<dataset>:<source_split>:<row>", row counted from 0 within its file after
// any header, so they do not change when other files are added to the pool.
//
// # Registered datasets and decisions
//
//   - sst2: alps_train + alps_dev (= GLUE train) + alps_test_is_glue_dev (=
//     GLUE dev) = 68,221; negative=0, positive=1.
//   - cola: in_domain_train + in_domain_dev + out_of_domain_dev = 9,594 (HF
//     glue/cola train+validation); unacceptable=0, acceptable=1.
//   - mrpc: MSRP train + test = 5,801 = GLUE train+validation+test; text
//     "Sentence 1: {s1}; Sentence 2: {s2}"; not_equivalent=0, equivalent=1.
//   - rte: train + dev = 2,767 (test.tsv is unlabelled); text
//     "Premise: {s1}; Hypothesis: {s2}"; entailment=0, not_entailment=1.
//   - boolq: dev only (3,270; the 9,427-row train split is not available);
//     text "Question: {q}\nPassage: {p}"; False=0, True=1.
//   - trec: train + test = 5,952, coarse labels in HF order ABBR, ENTY, DESC,
//     HUM, LOC, NUM; the text is what follows the "COARSE:fine " tag.
//   - ag_news: Kaggle test.csv (7,600) + the ALPS 10k sample of train (17,600
//     in all); World, Sports, Business, Sci/Tech. test.csv rows use
//     Title + " " + Description, exactly HF ag_news's text; ALPS rows have the
//     description only, because that file has no titles. HTML artefacts such
//     as " #39;" and the "\" line markers are kept, as in HF ag_news. The ALPS
//     file's first line is skipped as a header, as ALPS's own reader does,
//     which gives its 10,000 rows.
//   - snips: {train,valid,test}.seq.in + .label = 14,484 (the same
//     13,084 + 1,400 as benayas/snips); AddToPlaylist, GetWeather,
//     SearchScreeningEvent, PlayMusic, SearchCreativeWork, RateBook,
//     BookRestaurant as the reference code's mapper.
//   - db_pedia: test_5000 + val_5000 = 10,000 (a sample of DBpedia-14,
//     content only); labels 1-14 in meta.txt order (checked when meta.txt is
//     present) become 0-13.
//
// trec is also compiled into the binary (embedded/trec, see its NOTICE):
// data directory [Embedded] (or "") reads it, and so does a data directory
// that holds none of trec's files. Every other dataset needs a data directory
// ([DefaultDataDir]: $DENI_DATA_DIR, else embedded).
//
// # Protocol
//
// [Prepare] applies the paper's protocol with the data_split and
// label_choice streams of a seeds.Set: [StratifiedSplit] (80/20, test =
// n - floor(0.8·n) = sklearn's total, per-class largest-remainder rounding)
// and [SelectLabelled] (per_class = max(ceil(n/C), 2); a class with fewer rows
// in the pool gives all it has and is reported in Selection.Short;
// [AllLabelled] takes the whole pool). All shuffles use only the PCG stream's
// Uint64 output, so results do not depend on the Go release.
//
// # Errors
//
// A missing file names the file and the expected layout; a malformed row, an
// empty text or an unknown label names the file and the line (a Parquet file:
// the row). Errors are [*FileError] values wrapping one of the sentinel
// errors (ErrMissingFile, ErrMalformed, ErrEmptyText, ErrUnknownLabel,
// ErrBadSpec, ...). Loading never writes anything.
package data
