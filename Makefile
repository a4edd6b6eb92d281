# deni — build, run and test. `make run` and `make test` are all a newcomer needs.
GO      ?= go
BIN     := bin/deni
SHARED  ?= $(abspath ../shared)

# OpenBLAS is used when Debian's libopenblas-dev is installed (8-10x faster
# GEMM); otherwise the pure-Go gonum BLAS. Runs record which one they used.
OPENBLAS := $(firstword $(wildcard /usr/lib/*/libopenblas.so /usr/lib/libopenblas.so))
TAGS     := duckdb_arrow
ifneq ($(OPENBLAS),)
TAGS     += openblas
export CGO_LDFLAGS := -lopenblas
endif
# One BLAS thread per process: deni parallelises over models and runs instead,
# which is faster on small matrices and keeps results bit-identical.
export OPENBLAS_NUM_THREADS ?= 1

# Tests read the real datasets from ../shared when it is there (CI has it).
ifneq ($(wildcard $(SHARED)/datasets),)
export DENI_DATA_DIR ?= $(SHARED)/datasets
export DENI_SHARED   ?= $(SHARED)
endif

.PHONY: build run test test-gonum bench lint clean

build:
	$(GO) build -tags '$(TAGS)' -o $(BIN) ./cmd/deni

run: build
	./$(BIN) run -c experiments/quickstart.yaml

# All packages with the detected BLAS, then the engine again on pure-Go gonum
# so that both BLAS paths are tested.
test: lint
	$(GO) test -tags '$(TAGS)' ./...
ifneq ($(OPENBLAS),)
	$(GO) test ./train/...
endif

bench: build
	./$(BIN) bench
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem ./train/bench/

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags '$(TAGS)' ./...

clean:
	rm -rf bin
