package date

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// findAllPattern finds the matches of p in s as regexp's
// FindAllStringSubmatchIndex does, trying only where p can start.
func findAllPattern(p *pattern, s string) [][]int {
	var out [][]int
	for pos := 0; pos < len(s); {
		if !p.mayStart(s, pos) {
			pos++
			continue
		}
		loc := make([]int, 2*(p.ncap+1))
		for i := range loc {
			loc[i] = -1
		}
		if !p.matchAt(s, 0, pos, loc) {
			pos++
			continue
		}
		out = append(out, loc)
		pos = loc[1]
	}
	return out
}

// sameMatches checks the matcher against Go's regexp on every rule of every
// language for one text.
func sameMatches(t *testing.T, text string) {
	t.Helper()
	folded := fold(text)
	for code, rules := range rulesByLang {
		for i, r := range rules {
			want := referenceRegexp(r.expr).FindAllStringSubmatchIndex(folded, -1)
			got := findAllPattern(r.pat, folded)
			if len(want) == 0 && len(got) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q rule %d (%s) on %q:\n got %v\nwant %v", code, i, r.expr, text, got, want)
			}
		}
	}
}

func sameMentions(t *testing.T, text, lang string, r Ref) {
	t.Helper()
	if got, want := windows(text, lang), windowsReference(text, lang); !reflect.DeepEqual(got, want) {
		t.Fatalf("%s windows of %q:\n got %v\nwant %v", lang, text, got, want)
	}
	got := FindMentions(text, lang, r)
	want := findMentionsReference(text, lang, r)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %v on %q:\n got %+v\nwant %+v", lang, r, text, got, want)
	}
}

var testRefs = []Ref{
	{},
	{T: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Precision: article.PrecisionYear},
	{T: time.Date(2020, 9, 1, 0, 0, 0, 0, time.UTC), Precision: article.PrecisionMonth},
	{T: time.Date(2020, 9, 16, 0, 0, 0, 0, time.UTC), Precision: article.PrecisionDay},
	{T: time.Date(1989, 1, 2, 15, 4, 0, 0, time.UTC), Precision: article.PrecisionMinute},
}

// randomText strings together the words of every lexicon, numbers in date
// shapes, and separators, so that the rules see their words in every
// order, case and spacing.
func randomText(rng *rand.Rand, words []string) string {
	var b strings.Builder
	seps := []string{" ", " ", " ", "  ", ", ", ",", ".", ". ", "-", " - ", "\n", "\n\n", "'", "’", "/", ":", "\t", "", "(", ")", " %", "$", "€"}
	for n := 2 + rng.IntN(14); n > 0; n-- {
		var w string
		switch rng.IntN(4) {
		case 0:
			w = randomNumber(rng)
		default:
			w = words[rng.IntN(len(words))]
		}
		switch rng.IntN(6) {
		case 0:
			w = strings.ToUpper(w)
		case 1, 2:
			if r, size := utf8.DecodeRuneInString(w); size > 0 {
				w = strings.ToUpper(string(r)) + w[size:]
			}
		}
		b.WriteString(w)
		b.WriteString(seps[rng.IntN(len(seps))])
	}
	return b.String()
}

func randomNumber(rng *rand.Rand) string {
	d := func(n int) string {
		var s strings.Builder
		for range n {
			s.WriteByte(byte('0' + rng.IntN(10)))
		}
		return s.String()
	}
	switch rng.IntN(14) {
	case 0:
		return fmt.Sprintf("%d-%02d-%02d", 1980+rng.IntN(60), rng.IntN(14), rng.IntN(33))
	case 1:
		return fmt.Sprintf("%d-%02d-%02dT%02d:%02d", 1990+rng.IntN(40), 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(25), rng.IntN(61))
	case 2:
		return fmt.Sprintf("%d/%d/%s", 1+rng.IntN(31), 1+rng.IntN(13), d(2+2*rng.IntN(2)))
	case 3:
		return fmt.Sprintf("%d.%02d.%d", 1+rng.IntN(31), 1+rng.IntN(12), 1900+rng.IntN(150))
	case 4:
		return fmt.Sprintf("%d:%02d", rng.IntN(26), rng.IntN(70))
	case 5:
		return fmt.Sprintf("%dh%02d", rng.IntN(25), rng.IntN(60))
	case 6:
		return []string{"1st", "2nd", "3rd", "4th", "14th", "1er", "14.", "3.", "1º", "21st"}[rng.IntN(10)]
	case 7:
		return fmt.Sprintf("%d", 1500+rng.IntN(600))
	case 8:
		return fmt.Sprintf("%d0s", 160+rng.IntN(50))
	case 9:
		return []string{"a.m.", "p.m.", "am", "pm", "AM", "P.M."}[rng.IntN(6)]
	case 10:
		return fmt.Sprintf("%d,%s", rng.IntN(3000), d(1+rng.IntN(3)))
	}
	return d(1 + rng.IntN(5))
}

// lexiconWords lists every word the rules are built from, and some that
// sit beside them.
func lexiconWords() []string {
	seen := map[string]bool{}
	var out []string
	add := func(ws ...string) {
		for _, w := range ws {
			if !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	for _, code := range Languages() {
		lx := lexicons[code]
		add(keys(lx.months)...)
		add(lx.bare...)
		add(keys(lx.weekdays)...)
		add(keys(lx.relDays)...)
		add(keys(lx.parts)...)
		add(keys(lx.preMods)...)
		add(keys(lx.postMods)...)
		add(keys(lx.units)...)
		add(lx.articles...)
		add(keys(lx.numbers)...)
		add(lx.agoBefore...)
		add(lx.agoAfter...)
		add(keys(lx.ordinals)...)
		add(lx.quarter...)
		add(keys(lx.seasons)...)
		add(lx.now...)
		add(lx.yearContext...)
		add(lx.timeSuffix...)
		add(lx.timePrefix...)
		add(lx.futureCues...)
		if lx.dayOf != "" {
			add(lx.dayOf)
		}
	}
	add("early", "late", "mid", "mid-", "begin", "eind", "medio", "anfang", "ende", "mitte", "début", "fin", "mi-",
		"principios de", "finales de", "mediados de", "the", "of", "del", "fiscal", "noon", "midday", "midnight",
		"weekend", "year-earlier", "year-ago", "latest", "current", "same", "-ci", "maandagavond", "Montagabend",
		"earliest", "knowing", "sept.", "Sept.", "jan.", "uur", "Uhr", "heures", "x", "said", "am", "um", "à", "le", "la",
		"ÉTÉ", "Été", "MÄRZ", "\u212Aommende", "İn", "ÜBERMORGEN", "Noonday", "MIDDAYS", "٣", "２０２０", "weekendje")
	return out
}

func TestMatcherAgreesWithRegexp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := lexiconWords()
	n := 1000
	if testing.Short() {
		n = 100
	}
	for range n {
		sameMatches(t, randomText(rng, words))
	}
}

func TestFindMentionsAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	words := lexiconWords()
	langs := append(Languages(), "", "xx")
	n := 600
	if testing.Short() {
		n = 60
	}
	for range n {
		text := randomText(rng, words)
		for _, l := range langs {
			sameMentions(t, text, l, testRefs[rng.IntN(len(testRefs))])
		}
	}
}

// TestFindMentionsAgreesOnCorpora runs both on the development cases, the
// language development sentences and, when it is there, TimeML.
func TestFindMentionsAgreesOnCorpora(t *testing.T) {
	var texts []string
	data, err := os.ReadFile("../../testdata/datedev.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Split(l, "\t"); len(f) >= 3 && !strings.HasPrefix(l, "#") {
			texts = append(texts, f[2])
		}
	}
	files, _ := filepath.Glob("../../testdata/langdev/*.txt")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(data))
	}
	if data, err := os.ReadFile("../../../../../shared/samples/000_5bf86750952c11d4.txt"); err == nil {
		texts = append(texts, string(data))
	}
	for _, text := range texts {
		for _, l := range append(Languages(), "") {
			for _, r := range testRefs {
				sameMentions(t, text, l, r)
			}
		}
	}
	tml, _ := filepath.Glob("../../../../../shared/data/timeml/TBAQ-cleaned/*/*.tml")
	if len(tml) == 0 {
		t.Log("TimeML not found; skipped")
		return
	}
	if testing.Short() {
		tml = tml[:20]
	}
	tag := regexp.MustCompile(`<[^>]*>`)
	for _, f := range tml {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := tag.ReplaceAllString(string(data), "")
		sameMentions(t, text, "en", testRefs[3])
	}
}

func FuzzMatcherAgreesWithRegexp(f *testing.F) {
	for _, s := range []string{"9 augustus", "on 14 September 2020 at 3 p.m.", "1,5 miljard en 3-2", "vor drei Tagen um 15 Uhr",
		"il y a deux jours, le 1er mai", "hace dos días", "2020-09-14T15:00", "14/09/20", "the third quarter. A year earlier",
		"the fiscal -quarter", "maandagavond", "mañana por la tarde", "la semaine dernière", "Sept. 14, 2020"} {
		f.Add(s, "en")
	}
	f.Fuzz(func(t *testing.T, text, lang string) {
		sameMatches(t, text)
		for _, l := range append(Languages(), "", lang) {
			sameMentions(t, text, l, testRefs[3])
		}
	})
}

func BenchmarkFindMentionsReference(b *testing.B) {
	text := strings.Repeat("The minister said on Monday that the third quarter, which ended on Sept. 30, was weak. "+
		"A year earlier profit rose 2,000 points; 1,5 miljard. Talks resume next week at 3 p.m. ", 10)
	r := Ref{T: time.Date(2020, 10, 16, 0, 0, 0, 0, time.UTC), Precision: article.PrecisionDay}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		findMentionsReference(text, "en", r)
	}
}

// articles600 are about 600 words per language: the repository's sample
// article of the language, then its development sentences for the
// language detector, which are news sentences with the usual share of
// dates.
func articles600(tb testing.TB) map[string]string {
	out := map[string]string{}
	for _, lang := range Languages() {
		var b strings.Builder
		if files, _ := filepath.Glob("../../../../samples/" + lang + "_*.txt"); len(files) > 0 {
			data, err := os.ReadFile(files[0])
			if err != nil {
				tb.Fatal(err)
			}
			b.Write(data)
		}
		data, err := os.ReadFile("../../testdata/langdev/" + lang + ".txt")
		if err != nil {
			tb.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		for i := 0; len(strings.Fields(b.String())) < 600; i++ {
			if i%4 == 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(lines[i%len(lines)])
			b.WriteByte(' ')
		}
		out[lang] = b.String()
	}
	return out
}

func benchmarkArticles600(b *testing.B, find func(text, lang string, r Ref) []Mention) {
	arts := articles600(b)
	langs := Languages()
	r := Ref{T: time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC), Precision: article.PrecisionDay}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l := langs[i%len(langs)]
		find(arts[l], l, r)
		i++
	}
}

// BenchmarkFindMentions600 finds the dates of 600-word articles in English,
// Dutch, German, French and Spanish, one article per iteration.
func BenchmarkFindMentions600(b *testing.B) { benchmarkArticles600(b, FindMentions) }

func BenchmarkFindMentions600Reference(b *testing.B) {
	benchmarkArticles600(b, findMentionsReference)
}
