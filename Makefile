# newsflow: `make run` runs the whole pipeline on embedded defaults,
# `make test` runs every test this machine can run.
SHELL := /bin/bash
GO ?= go
MODULES := pkg services/ingest services/enrich services/sink cmd/newsflow e2e
BIN := bin

.PHONY: all build test test-chaos vet lint bench run fmt clean tools
GOLANGCI_VERSION := v2.15.0
TOOLS := $(CURDIR)/bin/tools

all: build

build:
	@mkdir -p $(BIN)
	cd services/ingest && $(GO) build -o ../../$(BIN)/ingest .
	cd services/enrich && $(GO) build -o ../../$(BIN)/enrich .
	cd services/sink && $(GO) build -o ../../$(BIN)/sink .
	cd cmd/newsflow && $(GO) build -o ../../$(BIN)/newsflow .

# The whole stack on embedded defaults: broker on 127.0.0.1:9092 with data in
# ./var, enrich and sink as processes, the sample folders ingested.
run: build
	$(BIN)/newsflow dev

PKGS := $(addsuffix /...,$(addprefix ./,$(MODULES)))

# Every test this machine can run; PostgreSQL tests use NEWSFLOW_TEST_PG_DSN
# (default: the local server). Fuzz targets run their seed corpus here and
# longer under `make fuzz`.
test: build
	$(GO) test -count=1 -timeout 15m $(PKGS)

# Fault injection: six scenarios of 50,000 articles each through the three
# services as processes (NEWSFLOW_CHAOS_ARTICLES, _SEED, _SCENARIOS tune it).
test-chaos: build
	cd e2e && NEWSFLOW_CHAOS_REPORT=$(CURDIR)/var/chaos-report.md $(GO) test -tags chaos -run TestChaos -count=1 -timeout 3h -v . 2>&1 | grep -vE '"level":"(info|debug)"'

vet:
	$(GO) vet $(PKGS)

$(TOOLS)/golangci-lint:
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

lint: $(TOOLS)/golangci-lint
	@test -z "$$(gofmt -l $(MODULES))" || { echo "gofmt would change:"; gofmt -l $(MODULES); exit 1; }
	for m in $(MODULES); do (cd $$m && $(TOOLS)/golangci-lint run ./...) || exit 1; done

fmt:
	gofmt -l -w $(MODULES)

clean:
	rm -rf $(BIN) var

# Named entities (issue 4): train the models enrich embeds from the corpora in
# $(NER_DATA) (seeded, about a minute on two cores), and score them on the
# evaluation splits through `bin/enrich tag` and on gold tokens.
NER_DATA ?= ../shared/data/ner

.PHONY: train-entities eval-entities
train-entities:
	cd services/enrich && nice -n 10 $(GO) run ./cmd/trainentities -data $(abspath $(NER_DATA)) -out internal/entities/models

eval-entities:
	@mkdir -p $(BIN)
	cd services/enrich && $(GO) build -o ../../$(BIN)/enrich . && \
		$(GO) run ./cmd/evalentities -data $(abspath $(NER_DATA)) -enrich $(abspath $(BIN))/enrich

# Sentiment (issue 5): Pearson r against human ratings per language through
# `bin/enrich tag` (English editorials from $(SENTIMENT_DATA), translations
# from $(SENTIMENT_DEV), see docs/evaluation.md), and the tuning that writes
# internal/sentiment/lexicon/tuned.tsv (deterministic, seconds).
SENTIMENT_DATA ?= ../shared/data/sentiment
SENTIMENT_DEV ?= var/sentiment

.PHONY: train-sentiment eval-sentiment
train-sentiment:
	cd services/enrich && nice -n 10 $(GO) run ./cmd/trainsentiment -data $(abspath $(SENTIMENT_DATA))/nyt-editorial-dev.tsv -out internal/sentiment/lexicon/tuned.tsv

eval-sentiment:
	@mkdir -p $(BIN)
	cd services/enrich && $(GO) build -o ../../$(BIN)/enrich . && \
		$(GO) run ./cmd/evalsentiment -bin $(abspath $(BIN))/enrich -data $(abspath $(SENTIMENT_DATA)) -dev $(abspath $(SENTIMENT_DEV))

# Language and dates (issue 3): the language tagger on the development set in
# services/enrich/testdata/langdev, the date tagger on the project's own cases
# and on TimeML read in place from $(TIMEML_DATA), both through `bin/enrich
# tag`; see docs/evaluation.md.
TIMEML_DATA ?= ../shared/data/timeml/TBAQ-cleaned

.PHONY: eval eval-language eval-dates
eval: eval-language eval-dates eval-sentiment eval-entities

eval-language:
	@mkdir -p $(BIN)
	cd services/enrich && $(GO) build -o ../../$(BIN)/enrich . && \
		$(GO) run ./cmd/evallang -bin $(abspath $(BIN))/enrich -dir testdata/langdev

eval-dates:
	@mkdir -p $(BIN)
	cd services/enrich && $(GO) build -o ../../$(BIN)/enrich . && \
		$(GO) run ./cmd/evaldates -bin $(abspath $(BIN))/enrich -dev testdata/datedev.tsv -timeml $(abspath $(TIMEML_DATA))

# Sinks (issue 6): 100,000 synthetic enriched articles through the sink's
# batcher into each store (PostgreSQL in a fresh schema of
# NEWSFLOW_TEST_PG_DSN), reporting articles/s and batch write p50/p99.
.PHONY: bench-sinks
SINKBENCH_ARGS ?= -n 100000
bench-sinks:
	cd services/sink && nice -n 10 $(GO) run ./cmd/sinkbench $(SINKBENCH_ARGS)

# Ingest (issue 7): bulk JSON Lines into Kafka (200,000 articles of ~3 KB)
# and 1000 feeds on a 60 s interval across a restart (about 5 minutes per
# feeds run), each through bin/ingest against an embedded broker on disk.
.PHONY: bench-ingest
bench-ingest: build
	cd services/ingest && $(GO) build -o ../../$(BIN)/ingestbench ./cmd/ingestbench
	nice -n 10 $(BIN)/ingestbench bulk -n 200000
	nice -n 10 $(BIN)/ingestbench feeds
	nice -n 10 $(BIN)/ingestbench feeds -etag=false
