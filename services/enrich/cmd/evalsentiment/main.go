// Command evalsentiment measures the sentiment tagger against human ratings:
// Pearson r between the document score and the mean rating, per language,
// with each rated sentence sent as the body of one article through
// `enrich tag` (so language detection and the whole pipeline are in the
// path, as in production).
//
// English uses the editorial development set of ../shared/data/sentiment
// (all of it, and apart the training and held-out splits of
// cmd/trainsentiment). The other languages use translations of a sample of
// the held-out English sentences kept outside the repository
// (var/sentiment/dev-<lang>.tsv, same format, built as docs/evaluation.md
// describes); the English originals of that sample are scored too, so the
// loss to translation shows. Missing files are reported and skipped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/jonreiter/govader"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/enrich/cmd/internal/tagrun"
	"github.com/newsflow/newsflow/services/enrich/internal/sentiment"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "evalsentiment: %v\n", err)
		}
		os.Exit(1)
	}
}

// set is one group of rated sentences in one language.
type set struct {
	name  string
	lang  string
	items []sentiment.Rated
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("evalsentiment", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bin := fs.String("bin", tagrun.DefaultBin(), "enrich binary")
	data := fs.String("data", "../shared/data/sentiment", "folder of nyt-editorial-dev.tsv")
	dev := fs.String("dev", "var/sentiment", "folder of the translated development sets (dev-<lang>.tsv, sample-en.tsv)")
	verbose := fs.Bool("v", false, "list the sentences with the largest errors")
	vader := fs.Bool("vader", false, "also score every set with VADER (govader's compound score, in process) for reference")
	if err := fs.Parse(args); err != nil {
		return err
	}

	var sets []set
	editorial, err := readRated(filepath.Join(*data, "nyt-editorial-dev.tsv"))
	if err != nil {
		return err
	}
	var train, held []sentiment.Rated
	for _, r := range editorial {
		if sentiment.HeldOut(r.ID) {
			held = append(held, r)
		} else {
			train = append(train, r)
		}
	}
	sets = append(sets,
		set{"editorials, all", "en", editorial},
		set{"editorials, training split", "en", train},
		set{"editorials, held-out split", "en", held},
	)
	for _, lang := range sentiment.Languages {
		name := "dev-" + lang + ".tsv"
		if lang == "en" {
			name = "sample-en.tsv"
		}
		items, err := readRated(filepath.Join(*dev, name))
		if errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "evalsentiment: no %s in %s, skipped (see docs/evaluation.md)\n", name, *dev)
			continue
		}
		if err != nil {
			return err
		}
		sets = append(sets, set{"translation sample", lang, items})
	}

	var raws []article.Raw
	for _, s := range sets {
		for _, r := range s.items {
			raws = append(raws, tagrun.NewRaw(s.lang+":"+r.ID, "", r.Text, "", ""))
		}
	}
	enriched, elapsed, err := tagrun.Run(ctx, *bin, nil, raws)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sentiment: %d articles through %s tag in %s\n\n", len(raws), *bin, elapsed.Round(1e6))

	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "set\tlang\tn\tPearson r\t3-class acc\ttagged\tlanguage ok\t"
	if *vader {
		header += "VADER r\t"
	}
	fmt.Fprintln(tw, header)
	var va *govader.SentimentIntensityAnalyzer
	if *vader {
		va = govader.NewSentimentIntensityAnalyzer()
	}
	next := 0
	for _, s := range sets {
		out := enriched[next : next+len(s.items)]
		next += len(s.items)
		m := measure(s, out)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t", s.name, s.lang, len(s.items), m.r, m.acc, m.tagged, m.langOK)
		if va != nil {
			x := make([]float64, len(s.items))
			y := make([]float64, len(s.items))
			for i, r := range s.items {
				x[i], y[i] = va.PolarityScores(r.Text).Compound, r.Rating
			}
			fmt.Fprintf(tw, "%.3f\t", sentiment.Pearson(x, y))
		}
		fmt.Fprintln(tw)
		if *verbose {
			defer listErrors(stdout, s, out)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// The concept lexicon is what every language shares; English scored with
	// it alone (no VADER, no en.tsv) shows what the other languages can reach
	// with a perfect translation.
	only, err := sentiment.New(sentiment.Config{ConceptsOnly: true})
	if err != nil {
		return err
	}
	for _, s := range sets[:3] {
		x := make([]float64, len(s.items))
		y := make([]float64, len(s.items))
		for i, r := range s.items {
			x[i], _ = only.ScoreText("en", r.Text)
			y[i] = r.Rating
		}
		fmt.Fprintf(stdout, "concept lexicon only, in process, %s: r=%.3f\n", s.name, sentiment.Pearson(x, y))
	}
	return nil
}

type metrics struct {
	r, acc, tagged, langOK float64
}

// score is the document score, 0 when the tagger left sentiment out.
func score(e *article.Enriched) (float64, bool) {
	if e.Enrichment.Sentiment == nil {
		return 0, false
	}
	return e.Enrichment.Sentiment.Score, true
}

func measure(s set, out []article.Enriched) metrics {
	var m metrics
	x := make([]float64, len(out))
	y := make([]float64, len(out))
	for i := range out {
		var ok bool
		x[i], ok = score(&out[i])
		y[i] = s.items[i].Rating
		if ok {
			m.tagged++
		}
		if l := out[i].Enrichment.Language; l != nil && l.Code == s.lang {
			m.langOK++
		}
		if label(out[i].Enrichment.Sentiment) == goldLabel(y[i]) {
			m.acc++
		}
	}
	n := float64(len(out))
	m.r = sentiment.Pearson(x, y)
	m.acc /= n
	m.tagged /= n
	m.langOK /= n
	return m
}

func label(s *article.Sentiment) string {
	if s == nil {
		return article.Neutral
	}
	return s.Label
}

// goldLabel is the 3-class view of a mean rating suggested with the data:
// neutral when |rating/4| < 0.125.
func goldLabel(rating float64) string {
	switch {
	case rating/4 >= 0.125:
		return article.Positive
	case rating/4 <= -0.125:
		return article.Negative
	}
	return article.Neutral
}

// listErrors prints the ten sentences whose score is furthest from the
// rating (both scaled to [-1, 1]).
func listErrors(w io.Writer, s set, out []article.Enriched) {
	type miss struct {
		d     float64
		i     int
		score float64
	}
	var ms []miss
	for i := range out {
		sc, _ := score(&out[i])
		ms = append(ms, miss{math.Abs(sc - s.items[i].Rating/4), i, sc})
	}
	for i := 0; i < len(ms); i++ {
		for j := i + 1; j < len(ms); j++ {
			if ms[j].d > ms[i].d {
				ms[i], ms[j] = ms[j], ms[i]
			}
		}
		if i == 9 {
			break
		}
	}
	fmt.Fprintf(w, "\nlargest errors, %s (%s):\n", s.name, s.lang)
	for _, m := range ms[:min(10, len(ms))] {
		fmt.Fprintf(w, "  rating %+.2f score %+.3f  %s\n", s.items[m.i].Rating/4, m.score, strings.TrimSpace(s.items[m.i].Text))
	}
}

func readRated(path string) ([]sentiment.Rated, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rs, err := sentiment.ReadRated(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rs, nil
}
