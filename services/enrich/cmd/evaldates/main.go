// Command evaldates measures the date tagger on English newswire annotated
// with TimeML TIMEX3 (TimeBank 1.2 and AQUAINT, read in place from
// ../shared/data/timeml), and on the project's own multilingual cases in
// testdata/datedev.tsv. Articles go through `enrich tag`; the document
// creation time is given as the publication date.
//
// TimeML scoring, DATE and TIME expressions:
//   - recall: gold expressions overlapped by a mention (relaxed match);
//   - precision: mentions that overlap a gold DATE or TIME, out of mentions
//     that do not merely overlap a gold DURATION or SET (those are temporal
//     expressions of another class, neither right nor wrong here; the strict
//     figure, counting them as wrong, is printed too);
//   - value accuracy: gold expressions with an overlapping mention of the
//     same value, out of all gold expressions. PRESENT_REF is the document
//     date; PAST_REF and FUTURE_REF have no ISO 8601 value and count as
//     misses; one-digit ISO weeks (1998-W7) are read as 1998-W07.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/enrich/cmd/internal/tagrun"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "evaldates: %v\n", err)
		os.Exit(1)
	}
}

type timex struct {
	start, end int
	typ, value string
	text       string
}

type doc struct {
	name string
	dct  string
	text string
	gold []timex
}

func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("evaldates", flag.ContinueOnError)
	bin := fs.String("bin", tagrun.DefaultBin(), "enrich binary")
	dir := fs.String("timeml", "", "TimeML folder (default: ../shared/data/timeml/TBAQ-cleaned beside the repository)")
	dev := fs.String("dev", "", "multilingual cases (default: testdata/datedev.tsv of the enrich module)")
	verbose := fs.Bool("v", false, "list misses and false alarms")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dev == "" {
		*dev = findPath("services/enrich/testdata/datedev.tsv", "testdata/datedev.tsv", "../../testdata/datedev.tsv")
	}
	if err := runDev(ctx, w, *bin, *dev, *verbose); err != nil {
		return err
	}
	if *dir == "" {
		*dir = findPath("../shared/data/timeml/TBAQ-cleaned", "../../../shared/data/timeml/TBAQ-cleaned", "/work/shared/data/timeml/TBAQ-cleaned")
	}
	if _, err := os.Stat(*dir); err != nil {
		fmt.Fprintf(w, "\nTimeML: %s not found, skipped\n", *dir)
		return nil //nolint:nilerr // no TimeML here: the own cases were scored
	}
	return runTimeML(ctx, w, *bin, *dir, *verbose)
}

func findPath(paths ...string) string {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return paths[0]
}

var (
	timexRe = regexp.MustCompile(`<TIMEX3([^>]*)>`)
	attrRe  = regexp.MustCompile(`(\w+)="([^"]*)"`)
	tagRe   = regexp.MustCompile(`<[^>]+>`)
	// TimeML sometimes writes ISO weeks with one digit (1998-W7); ISO 8601
	// and the tagger write two.
	weekRe = regexp.MustCompile(`^(\d{4}-W)(\d)\b`)
)

// parseTML reads a TimeML file: the creation time, the text without tags
// and the TIMEX3 spans in byte offsets of that text.
func parseTML(name string, data string) (doc, error) {
	d := doc{name: name}
	for _, m := range timexRe.FindAllStringSubmatch(data, -1) {
		attrs := attrs(m[1])
		if attrs["functionInDocument"] == "CREATION_TIME" {
			d.dct = attrs["value"]
			break
		}
	}
	i := strings.Index(data, "<TEXT>")
	j := strings.Index(data, "</TEXT>")
	if i < 0 || j < i || d.dct == "" {
		return d, fmt.Errorf("%s: no TEXT or creation time", name)
	}
	src := data[i+len("<TEXT>") : j]
	var b strings.Builder
	var open *timex
	pos := 0
	for _, loc := range tagRe.FindAllStringIndex(src, -1) {
		b.WriteString(html.UnescapeString(src[pos:loc[0]]))
		tag := src[loc[0]:loc[1]]
		switch {
		case strings.HasPrefix(tag, "<TIMEX3"):
			a := attrs(tag)
			open = &timex{start: b.Len(), typ: a["type"], value: a["value"]}
		case tag == "</TIMEX3>" && open != nil:
			open.end = b.Len()
			d.gold = append(d.gold, *open)
			open = nil
		}
		pos = loc[1]
	}
	b.WriteString(html.UnescapeString(src[pos:]))
	d.text = b.String()
	// the body is trimmed like every article body; shift the spans with it
	lead := len(d.text) - len(strings.TrimLeft(d.text, " \t\r\n"))
	d.text = strings.TrimSpace(d.text)
	for k := range d.gold {
		d.gold[k].start -= lead
		d.gold[k].end -= lead
		d.gold[k].text = d.text[d.gold[k].start:d.gold[k].end]
	}
	return d, nil
}

func attrs(s string) map[string]string {
	out := map[string]string{}
	for _, m := range attrRe.FindAllStringSubmatch(s, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func runTimeML(ctx context.Context, w io.Writer, bin, dir string, verbose bool) error {
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.tml"))
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("no .tml files under %s", dir)
	}
	var docs []doc
	var raws []article.Raw
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		d, err := parseTML(filepath.Base(f), string(data))
		if err != nil {
			return err
		}
		published, _, err := article.ParseDate(d.dct)
		if err != nil {
			return fmt.Errorf("%s: creation time %q: %w", d.name, d.dct, err)
		}
		docs = append(docs, d)
		raws = append(raws, tagrun.NewRaw(d.name, "", d.text, published, "en"))
	}
	out, elapsed, err := tagrun.Run(ctx, bin, nil, raws)
	if err != nil {
		return err
	}
	var gold, found, valueRight, sys, sysRight, sysOther int
	byType := map[string][2]int{}
	for i, d := range docs {
		var ms []article.DateMention
		if out[i].Enrichment.Date != nil {
			for _, m := range out[i].Enrichment.Date.Mentions {
				if m.Field == "body" {
					ms = append(ms, m)
				}
			}
		}
		for _, g := range d.gold {
			if g.typ != "DATE" && g.typ != "TIME" {
				continue
			}
			gold++
			want := g.value
			if want == "PRESENT_REF" {
				want = d.dct[:min(10, len(d.dct))]
			}
			want = weekRe.ReplaceAllString(want, "${1}0$2")
			hit, right := false, false
			var got []string
			for _, m := range ms {
				if m.Start < g.end && g.start < m.End {
					hit = true
					got = append(got, m.Value)
					if m.Value == want {
						right = true
					}
				}
			}
			c := byType[g.typ]
			c[0]++
			if hit {
				found++
				c[1]++
			}
			byType[g.typ] = c
			if right {
				valueRight++
			}
			if verbose && !right {
				fmt.Fprintf(w, "  gold %s %-12s %-30q got %v\n", d.name, g.value, g.text, got)
			}
		}
		for _, m := range ms {
			var dateTime, other bool
			for _, g := range d.gold {
				if m.Start < g.end && g.start < m.End {
					if g.typ == "DATE" || g.typ == "TIME" {
						dateTime = true
					} else {
						other = true
					}
				}
			}
			switch {
			case dateTime:
				sys++
				sysRight++
			case other:
				sysOther++
			default:
				sys++
				if verbose {
					fmt.Fprintf(w, "  false %s %q -> %s\n", d.name, m.Text, m.Value)
				}
			}
		}
	}
	p := ratio(sysRight, sys)
	r := ratio(found, gold)
	strictP := ratio(sysRight, sys+sysOther)
	fmt.Fprintf(w, "\nTimeML (TimeBank 1.2 + AQUAINT, %d documents, %d gold DATE/TIME expressions; enrich tag %s)\n",
		len(docs), gold, elapsed.Round(1e6))
	fmt.Fprintf(w, "  relaxed span: precision %.3f  recall %.3f  F1 %.3f\n", p, r, f1(p, r))
	fmt.Fprintf(w, "  strict precision (mentions on DURATION/SET counted wrong): %.3f  F1 %.3f\n", strictP, f1(strictP, r))
	fmt.Fprintf(w, "  values right: %d of %d gold (%.1f%%)\n", valueRight, gold, 100*ratio(valueRight, gold))
	fmt.Fprintf(w, "  mentions: %d on DATE/TIME, %d elsewhere, %d on DURATION/SET\n", sysRight, sys-sysRight, sysOther)
	for _, t := range []string{"DATE", "TIME"} {
		c := byType[t]
		fmt.Fprintf(w, "  recall %s: %d of %d\n", t, c[1], c[0])
	}
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// runDev checks the project's own cases: each line is language, publication
// date, text, and the expected mentions as text=value separated by " | "
// ("-" for none).
func runDev(ctx context.Context, w io.Writer, bin, path string, verbose bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	type devCase struct {
		lang, published, text string
		want                  map[string]string
	}
	var cases []devCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			return fmt.Errorf("%s: want 4 tab-separated columns: %q", path, line)
		}
		c := devCase{lang: cols[0], published: cols[1], text: cols[2], want: map[string]string{}}
		if cols[3] != "-" {
			for _, kv := range strings.Split(cols[3], " | ") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("%s: bad expectation %q", path, kv)
				}
				c.want[k] = v
			}
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	raws := make([]article.Raw, len(cases))
	for i, c := range cases {
		raws[i] = tagrun.NewRaw(fmt.Sprintf("dev/%d", i), "", c.text, c.published, c.lang)
	}
	// the language is told by the detector; pin it to the case's language so
	// a detection slip does not count against the date rules
	out, _, err := tagrun.Run(ctx, bin, []string{"-languages", "en,nl,de,fr,es,it"}, raws)
	if err != nil {
		return err
	}
	perLang := map[string][3]int{} // expected, found right, extra
	for i, c := range cases {
		got := map[string]string{}
		if d := out[i].Enrichment.Date; d != nil {
			for _, m := range d.Mentions {
				got[m.Text] = m.Value
			}
		}
		s := perLang[c.lang]
		for k, v := range c.want {
			s[0]++
			if got[k] == v {
				s[1]++
			} else if verbose {
				fmt.Fprintf(w, "  dev %s %q: want %s=%s, got %v\n", c.lang, c.text, k, v, got)
			}
		}
		for k := range got {
			if _, ok := c.want[k]; !ok {
				s[2]++
				if verbose {
					fmt.Fprintf(w, "  dev %s %q: unexpected %s=%s\n", c.lang, c.text, k, got[k])
				}
			}
		}
		perLang[c.lang] = s
	}
	fmt.Fprintf(w, "date development cases: %s (%d cases)\n", path, len(cases))
	var langs []string
	for l := range perLang {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	tot := [3]int{}
	for _, l := range langs {
		s := perLang[l]
		fmt.Fprintf(w, "  %s: %d of %d expected mentions with the right value, %d unexpected\n", l, s[1], s[0], s[2])
		for k := range tot {
			tot[k] += s[k]
		}
	}
	fmt.Fprintf(w, "  all: %d of %d (%.1f%%), %d unexpected\n", tot[1], tot[0], 100*ratio(tot[1], tot[0]), tot[2])
	return nil
}
