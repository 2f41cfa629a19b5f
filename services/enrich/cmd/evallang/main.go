// Command evallang measures the language tagger on the development set in
// testdata/langdev (one news-style sentence per line, one file per language,
// written for this project). It runs the articles through `enrich tag` and
// prints accuracy on three sets built from the same sentences:
//
//   - sentences: each line alone;
//   - pairs: two-word phrases, consecutive words of a sentence;
//   - articles: ten sentences in paragraphs.
//
// With -fit it instead fits the confidence calibration in process (on even
// lines, checked on odd lines) and prints the coefficients for calibrate.go.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/enrich/cmd/internal/tagrun"
	"github.com/newsflow/newsflow/services/enrich/internal/language"
)

// core16 are the 16 European languages the headline figures are given for.
var core16 = []string{"bg", "cs", "da", "de", "el", "en", "es", "fi", "fr", "hu", "it", "nl", "pl", "pt", "ro", "sv"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "evallang: %v\n", err)
		os.Exit(1)
	}
}

type sample struct {
	lang string
	set  string // sentences, pairs, articles
	text string
	line int
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("evallang", flag.ContinueOnError)
	bin := fs.String("bin", tagrun.DefaultBin(), "enrich binary")
	dir := fs.String("dir", "", "development set folder (default: testdata/langdev of the enrich module)")
	langs := fs.String("languages", "", "passed to enrich tag -languages (default: the tagger's default set)")
	fit := fs.Bool("fit", false, "fit the confidence calibration in process and print it")
	verbose := fs.Bool("v", false, "list the errors")
	mem := fs.Bool("mem", false, "load every model of the configured languages in process and report the memory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		*dir = findDir()
	}
	samples, err := load(*dir)
	if err != nil {
		return err
	}
	if *mem {
		return memory(w, *langs)
	}
	if *fit {
		return fitCalibration(w, samples, *langs)
	}
	raws := make([]article.Raw, len(samples))
	for i, s := range samples {
		raws[i] = tagrun.NewRaw(fmt.Sprintf("%s/%s/%d", s.lang, s.set, i), "", s.text, "", "")
	}
	var targs []string
	if *langs != "" {
		targs = append(targs, "-languages", *langs)
	}
	out, elapsed, err := tagrun.Run(ctx, *bin, targs, raws)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "language development set: %s (%d texts, enrich tag %s, %.0f texts/s including model loading, peak RSS %d MB)\n",
		*dir, len(samples), elapsed.Round(1e6), float64(len(samples))/elapsed.Seconds(), tagrun.MaxRSS>>20)
	if *langs == "" {
		fmt.Fprintf(w, "detector languages: default set (%d)\n", len(language.DefaultLanguages))
	} else {
		fmt.Fprintf(w, "detector languages: %s\n", *langs)
	}
	type key struct{ set, lang string }
	total := map[key]int{}
	right := map[key]int{}
	und := map[string]int{}
	var confs []calPoint
	for i, s := range samples {
		got := out[i].Enrichment.Language
		ok := got != nil && got.Code == s.lang
		for _, k := range []key{{s.set, s.lang}, {s.set, "*all"}} {
			total[k]++
			if ok {
				right[k]++
			}
		}
		if in16(s.lang) {
			total[key{s.set, "*16"}]++
			if ok {
				right[key{s.set, "*16"}]++
			}
		}
		if got != nil && got.Code == article.Undetermined {
			und[s.set]++
		} else if got != nil {
			confs = append(confs, calPoint{got.Confidence, ok})
		}
		if !ok && *verbose {
			code := "<none>"
			if got != nil {
				code = fmt.Sprintf("%s %.3f", got.Code, got.Confidence)
			}
			fmt.Fprintf(w, "  miss %-9s %s -> %s: %q\n", s.set, s.lang, code, s.text)
		}
	}
	fmt.Fprintf(w, "\n%-10s %10s %10s %10s %6s\n", "set", "16 langs", "all langs", "texts", "und")
	for _, set := range []string{"sentences", "pairs", "articles"} {
		fmt.Fprintf(w, "%-10s %9.2f%% %9.2f%% %10d %6d\n", set,
			pct(right[key{set, "*16"}], total[key{set, "*16"}]),
			pct(right[key{set, "*all"}], total[key{set, "*all"}]),
			total[key{set, "*all"}], und[set])
	}
	fmt.Fprintf(w, "\nper language (sentences / pairs / articles):\n")
	var codes []string
	for k := range total {
		if !strings.HasPrefix(k.lang, "*") && k.set == "sentences" {
			codes = append(codes, k.lang)
		}
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "  %s %6.1f%% %6.1f%% %6.1f%%\n", c,
			pct(right[key{"sentences", c}], total[key{"sentences", c}]),
			pct(right[key{"pairs", c}], total[key{"pairs", c}]),
			pct(right[key{"articles", c}], total[key{"articles", c}]))
	}
	fmt.Fprintf(w, "\ncalibration (answers other than und):\n")
	printCalibration(w, confs)
	return nil
}

func in16(code string) bool { return slices.Contains(core16, code) }

func pct(a, b int) float64 {
	if b == 0 {
		return math.NaN()
	}
	return 100 * float64(a) / float64(b)
}

func findDir() string {
	for _, p := range []string{"services/enrich/testdata/langdev", "testdata/langdev", "../../testdata/langdev"} {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
	}
	return "testdata/langdev"
}

// load reads the development set and derives the three sets from it.
func load(dir string) ([]sample, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no development set in %s", dir)
	}
	var out []sample
	for _, f := range files {
		code := strings.TrimSuffix(filepath.Base(f), ".txt")
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var lines []string
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		for i, l := range lines {
			out = append(out, sample{lang: code, set: "sentences", text: l, line: i})
			for j, p := range pairs(l) {
				out = append(out, sample{lang: code, set: "pairs", text: p, line: i*100 + j})
			}
		}
		for i := 0; i+10 <= len(lines); i += 10 {
			var paras []string
			for j := i; j < i+10; j += 3 {
				paras = append(paras, strings.Join(lines[j:min(j+3, i+10)], " "))
			}
			out = append(out, sample{lang: code, set: "articles", text: strings.Join(paras, "\n\n"), line: i})
		}
	}
	return out, nil
}

// pairs cuts a sentence into consecutive two-word phrases, punctuation
// trimmed: words 1-2, 3-4, ...
func pairs(sentence string) []string {
	var words []string
	for _, f := range strings.Fields(sentence) {
		f = strings.TrimFunc(f, func(r rune) bool { return !unicode.IsLetter(r) })
		if f != "" {
			words = append(words, f)
		}
	}
	var out []string
	for i := 0; i+1 < len(words); i += 2 {
		out = append(out, words[i]+" "+words[i+1])
	}
	return out
}

type calPoint struct {
	conf float64
	ok   bool
}

// printCalibration prints a reliability table and the expected calibration
// error: how far stated confidence is from observed accuracy.
func printCalibration(w io.Writer, pts []calPoint) {
	edges := []float64{0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001}
	ece := 0.0
	fmt.Fprintf(w, "  %-12s %6s %8s %8s\n", "confidence", "n", "stated", "actual")
	for b := 0; b+1 < len(edges); b++ {
		n, sum, ok := 0, 0.0, 0
		for _, p := range pts {
			if p.conf >= edges[b] && p.conf < edges[b+1] {
				n++
				sum += p.conf
				if p.ok {
					ok++
				}
			}
		}
		if n == 0 {
			continue
		}
		stated, actual := sum/float64(n), float64(ok)/float64(n)
		ece += float64(n) / float64(len(pts)) * math.Abs(stated-actual)
		fmt.Fprintf(w, "  [%.2f,%.2f) %6d %8.3f %8.3f\n", edges[b], math.Min(edges[b+1], 1), n, stated, actual)
	}
	fmt.Fprintf(w, "  expected calibration error: %.3f\n", ece)
}

// memory loads every model the detector can use, the worst case a
// long-running enrich reaches, and reports the tables' size and this
// process's resident memory.
func memory(w io.Writer, langs string) error {
	codes := language.DefaultLanguages
	if langs != "" {
		codes = strings.Split(langs, ",")
	}
	start := time.Now()
	d, err := language.NewDetector(codes)
	if err != nil {
		return err
	}
	if err := d.Preload(); err != nil {
		return err
	}
	runtime.GC()
	status, _ := os.ReadFile("/proc/self/status")
	rss := ""
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") || strings.HasPrefix(l, "VmHWM:") {
			rss += " " + strings.Join(strings.Fields(l), " ")
		}
	}
	fmt.Fprintf(w, "%d languages, every model loaded in %s: n-gram tables %d MB; process%s\n",
		len(d.Languages()), time.Since(start).Round(time.Millisecond), language.ModelBytes()>>20, rss)
	return nil
}
