//go:build unix

package main

import (
	"bufio"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/enrich/internal/date"
	"github.com/newsflow/newsflow/services/enrich/internal/entities"
	"github.com/newsflow/newsflow/services/enrich/internal/language"
	"github.com/newsflow/newsflow/services/enrich/internal/pipeline"
	"github.com/newsflow/newsflow/services/enrich/internal/sentiment"
)

// Enrichment benchmarks (issue 11): the four taggers as the service builds
// them, on articles of about 600 words in English, Dutch, German, French and
// Spanish. Each article is the repository's sample of that language
// (samples/) followed by the language's development sentences
// (testdata/langdev) in paragraphs of four, until it has 600 words; a
// second one per language starts the sentences half-way, so the text
// differs. NEWSFLOW_BENCH_ARTICLES names a JSON Lines file of raw articles
// to use instead (`go run ./e2e/cmd/pipebench -gen FILE -n 200 -size 3500`).
//
// One goroutine runs the taggers, so the figures are per core. Besides
// ns/op (one article), allocs/op and articles/s and words/s of wall time,
// each benchmark reports articles and words per second of process CPU
// time (articles/cpu-s, words/cpu-s: user and system time of the whole
// process, garbage collection included), which a loaded machine disturbs
// far less than wall time.
//
//	go test -run '^$' -bench 'Enrich' -benchtime 200x ./services/enrich

const benchWords = 600

type benchArticle struct {
	raw   *article.Raw
	lang  string
	words int
}

func benchArticles(tb testing.TB) []benchArticle {
	tb.Helper()
	if path := os.Getenv("NEWSFLOW_BENCH_ARTICLES"); path != "" {
		return readBenchArticles(tb, path)
	}
	var out []benchArticle
	for _, lang := range []string{"en", "nl", "de", "fr", "es"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "samples", lang+"_*.txt"))
		if len(files) == 0 {
			tb.Fatalf("no sample article in %s", lang)
		}
		data, err := os.ReadFile(files[0])
		if err != nil {
			tb.Fatal(err)
		}
		sample, err := article.ParseSample(data)
		if err != nil {
			tb.Fatal(err)
		}
		data, err = os.ReadFile(filepath.Join("testdata", "langdev", lang+".txt"))
		if err != nil {
			tb.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		for k, offset := range []int{0, len(lines) / 2} {
			title := ""
			var paras []string
			for _, p := range sample.Paragraphs {
				if p.Subheading && title == "" {
					title = p.Text
				}
				paras = append(paras, p.Text)
			}
			body := strings.Join(paras, "\n\n")
			for i := 0; len(strings.Fields(body)) < benchWords; i += 4 {
				var para []string
				for j := i; j < i+4; j++ {
					para = append(para, lines[(offset+j)%len(lines)])
				}
				body += "\n\n" + strings.Join(para, " ")
			}
			a := &article.Raw{
				SchemaVersion: article.SchemaVersion,
				Source:        article.Source{Type: "file", Name: "bench", URI: files[0]},
				Title:         title,
				Body:          body,
				Published:     sample.Published,
				IngestedAt:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			}
			a.ID = article.ID("", "", "", a.Title, a.Body+string(rune('a'+k)))
			out = append(out, benchArticle{raw: a, lang: lang, words: countWords(a)})
		}
	}
	return out
}

func readBenchArticles(tb testing.TB, path string) []benchArticle {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []benchArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		a, err := article.DecodeRaw(sc.Bytes())
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, benchArticle{raw: &a, lang: "mixed", words: countWords(&a)})
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if len(out) == 0 {
		tb.Fatalf("%s: no articles", path)
	}
	return out
}

func countWords(a *article.Raw) int {
	return len(strings.Fields(a.Title)) + len(strings.Fields(a.Body))
}

// defaultTaggerConfig is the configuration enrich runs with when no flag or
// variable is set.
func defaultTaggerConfig(tb testing.TB) taggerConfig {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := addTaggerFlags(fs)
	if err := fs.Parse(nil); err != nil {
		tb.Fatal(err)
	}
	return *cfg
}

// cpuTime is the user and system time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs one article per iteration and reports the throughput
// metrics; the first pass over the articles (models load lazily) is not
// timed.
func measure(b *testing.B, arts []benchArticle, run func(i int)) {
	for i := range arts {
		run(i)
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	words, n := 0, 0
	for b.Loop() {
		i := n % len(arts)
		run(i)
		words += arts[i].words
		n++
	}
	cpu := cpuTime() - cpu0
	wall := b.Elapsed()
	b.ReportMetric(float64(n)/wall.Seconds(), "articles/s")
	b.ReportMetric(float64(words)/wall.Seconds(), "words/s")
	if cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), "articles/cpu-s")
		b.ReportMetric(float64(words)/cpu.Seconds(), "words/cpu-s")
	}
}

// BenchmarkEnrich runs the whole enrichment as newPipeline builds it with
// the default configuration: over all articles, then per language.
func BenchmarkEnrich(b *testing.B) {
	p, err := newPipeline(defaultTaggerConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	arts := benchArticles(b)
	groups := [][]benchArticle{arts}
	names := []string{"all"}
	for _, lang := range []string{"en", "nl", "de", "fr", "es"} {
		var g []benchArticle
		for _, a := range arts {
			if a.lang == lang {
				g = append(g, a)
			}
		}
		if len(g) > 0 {
			groups, names = append(groups, g), append(names, lang)
		}
	}
	for k, g := range groups {
		b.Run(names[k], func(b *testing.B) {
			measure(b, g, func(i int) {
				if _, err := p.Enrich(g[i].raw); err != nil {
					b.Fatal(err)
				}
			})
			if names[k] == "all" {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
			}
		})
	}
}

// BenchmarkEnrichTagger times each tagger alone on the same articles, given
// the tags of the taggers before it, as the pipeline runs them.
func BenchmarkEnrichTagger(b *testing.B) {
	cfg := defaultTaggerConfig(b)
	taggers := benchTaggers(b, cfg)
	arts := benchArticles(b)
	// the tags each tagger starts from, computed by the taggers before it
	before := make([][]article.Enrichment, len(taggers))
	for i := range taggers {
		before[i] = make([]article.Enrichment, len(arts))
	}
	for j, a := range arts {
		var e article.Enrichment
		for i, t := range taggers {
			before[i][j] = e
			if err := t.Tag(a.raw, &e); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i, t := range taggers {
		b.Run(t.Name(), func(b *testing.B) {
			measure(b, arts, func(j int) {
				e := before[i][j]
				if err := t.Tag(arts[j].raw, &e); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// benchTaggers builds the taggers the way newPipeline does, one by one so
// that each can be timed; TestBenchTaggersMatchPipeline holds them to it.
func benchTaggers(tb testing.TB, cfg taggerConfig) []pipeline.Tagger {
	lang, err := language.New(cfg.languages)
	if err != nil {
		tb.Fatal(err)
	}
	ents, err := entities.New(entities.Config{Fallback: cfg.entityFallback})
	if err != nil {
		tb.Fatal(err)
	}
	sent, err := sentiment.New(sentiment.Config{Sentences: cfg.sentimentSentences})
	if err != nil {
		tb.Fatal(err)
	}
	return []pipeline.Tagger{lang, date.New(), ents, sent}
}

func TestBenchTaggersMatchPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("loads every model")
	}
	cfg := defaultTaggerConfig(t)
	p, err := newPipeline(cfg)
	if err != nil {
		t.Fatal(err)
	}
	taggers := benchTaggers(t, cfg)
	if len(taggers) != len(cfg.only) {
		t.Fatalf("%d taggers, the default configuration runs %v", len(taggers), cfg.only)
	}
	for _, a := range benchArticles(t)[:4] {
		want, err := p.Enrich(a.raw)
		if err != nil {
			t.Fatal(err)
		}
		var e article.Enrichment
		for i, tg := range taggers {
			if tg.Name() != cfg.only[i] {
				t.Fatalf("tagger %d is %s, the pipeline runs %s", i, tg.Name(), cfg.only[i])
			}
			if err := tg.Tag(a.raw, &e); err != nil {
				t.Fatal(err)
			}
		}
		e.Version, e.EnrichedAt = want.Enrichment.Version, want.Enrichment.EnrichedAt
		if !reflect.DeepEqual(e, want.Enrichment) {
			t.Errorf("%s: the taggers built one by one tag differently from the pipeline", a.lang)
		}
	}
}
