package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/services/enrich/internal/date"
	"github.com/newsflow/newsflow/services/enrich/internal/entities"
	"github.com/newsflow/newsflow/services/enrich/internal/language"
	"github.com/newsflow/newsflow/services/enrich/internal/pipeline"
	"github.com/newsflow/newsflow/services/enrich/internal/sentiment"
)

// taggerConfig holds the settings of the taggers.
type taggerConfig struct {
	languages []string
	// entityFallback names the entity model for languages without their own
	// ("" leaves them untagged).
	entityFallback string
	// entityModels is a directory of entity models that replace the
	// built-in ones of the same languages ("": none).
	entityModels string
	// sentimentSentences keeps per-sentence sentiment scores in the output.
	sentimentSentences bool
	// only names the taggers to run; "none" runs none (pass-through, for
	// measuring the transport and the sinks alone).
	only []string
}

// taggerNames are the taggers in the order they run.
var taggerNames = []string{"language", "date", "entities", "sentiment"}

func addTaggerFlags(fs *flag.FlagSet) *taggerConfig {
	cfg := &taggerConfig{languages: language.DefaultLanguages}
	config.ListVar(fs, &cfg.languages, "languages", "ISO 639-1 codes the language detector chooses from")
	fs.StringVar(&cfg.entityFallback, "entity-fallback", entities.Fallback, "entity model for languages without their own (empty: none)")
	fs.StringVar(&cfg.entityModels, "entity-models", "", "directory of entity models (lang.ner.gz, from trainentities) that replace the built-in ones of the same languages; set -enrichment-version too")
	fs.BoolVar(&cfg.sentimentSentences, "sentiment-sentences", true, "keep per-sentence sentiment scores (non-zero ones) in the output")
	cfg.only = taggerNames
	config.ListVar(fs, &cfg.only, "taggers", "taggers to run, of language, date, entities, sentiment; none for pass-through")
	return cfg
}

func versionOption(v string) []pipeline.Option {
	if v == "" {
		return nil
	}
	return []pipeline.Option{pipeline.WithVersion(v)}
}

// newPipeline builds the taggers in the order they run: language first, since
// the others use its result.
func newPipeline(cfg taggerConfig, opts ...pipeline.Option) (*pipeline.Pipeline, error) {
	run := map[string]bool{}
	for _, n := range cfg.only {
		if n == "none" {
			continue
		}
		if !slices.Contains(taggerNames, n) {
			return nil, fmt.Errorf("taggers: unknown tagger %q (want %s or none)", n, strings.Join(taggerNames, ", "))
		}
		run[n] = true
	}
	if (run["entities"] || run["sentiment"]) && !run["language"] {
		return nil, errors.New("taggers: entities and sentiment need language")
	}
	var taggers []pipeline.Tagger
	if run["language"] {
		lang, err := language.New(cfg.languages)
		if err != nil {
			return nil, fmt.Errorf("language tagger: %w", err)
		}
		taggers = append(taggers, lang)
	}
	if run["date"] {
		taggers = append(taggers, date.New())
	}
	if run["entities"] {
		ecfg := entities.Config{Fallback: cfg.entityFallback}
		if cfg.entityModels != "" {
			ecfg.Replace = os.DirFS(cfg.entityModels)
		}
		ents, err := entities.New(ecfg)
		if err == nil && ecfg.Replace != nil {
			// Outside models are checked at start, not on first use.
			err = ents.Load()
		}
		if err != nil {
			where := ""
			if ecfg.Replace != nil {
				where = " (models from " + cfg.entityModels + ")"
			}
			return nil, fmt.Errorf("entity tagger%s: %w", where, err)
		}
		taggers = append(taggers, ents)
	}
	if run["sentiment"] {
		sent, err := sentiment.New(sentiment.Config{Sentences: cfg.sentimentSentences})
		if err != nil {
			return nil, fmt.Errorf("sentiment tagger: %w", err)
		}
		taggers = append(taggers, sent)
	}
	return pipeline.New(taggers, opts...)
}
