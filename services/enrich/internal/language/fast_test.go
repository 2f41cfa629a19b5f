package language

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// devLines returns the development sentences by language.
func devLines(tb testing.TB) map[string][]string {
	files, _ := filepath.Glob("../../testdata/langdev/*.txt")
	if len(files) == 0 {
		tb.Fatal("no development set")
	}
	out := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".txt")] = strings.Split(strings.TrimSpace(string(data)), "\n")
	}
	return out
}

// mixedTexts strings development sentences together: whole articles in
// one language, articles of two languages, and runs of a few words, some
// in two scripts, so that every path of the detector is taken.
func mixedTexts(tb testing.TB, n int) []string {
	lines := devLines(tb)
	var codes []string
	for c := range lines {
		codes = append(codes, c)
	}
	slicesSort(codes)
	rng := rand.New(rand.NewPCG(7, 8))
	// scripts the development set lacks, and letters few languages use
	lines["xx"] = []string{"Η κυβέρνηση ανακοίνωσε νέα μέτρα", "정부는 새로운 정책을 발표했다", "東京の天気は晴れです", "政府今天宣布了新的经济政策",
		"الحكومة أعلنت عن خطة جديدة", "הממשלה הודיעה על תוכנית חדשה", "Уряд України схвалив законопроєкт", "Ўрад Беларусі ўхваліў",
		"Il-Prim Ministru ħabbar il-baġit il-ġdid", "Ərazi və şəhər", "Ĉiu ŝipo", "sarà più", "Şirket açıkladı", "сръбски ђак",
		"नई सरकार", "ভারতের সরকার", "ரஜினி", "ประเทศไทย", "საქართველო", "Հայաստան", "Việt Nam đã", "ĦĠĊŻ ŐŰ ŘŮ ÏÐ"}
	codes = append(codes, "xx")
	var out []string
	for _, c := range codes {
		out = append(out, strings.Join(lines[c], " "), strings.Join(lines[c][:10], "\n\n"))
	}
	for range n {
		var b strings.Builder
		for k := 1 + rng.IntN(12); k > 0; k-- {
			ls := lines[codes[rng.IntN(len(codes))]]
			l := ls[rng.IntN(len(ls))]
			if rng.IntN(3) == 0 {
				ws := strings.Fields(l)
				i := rng.IntN(len(ws))
				l = strings.Join(ws[i:min(len(ws), i+1+rng.IntN(4))], " ")
			}
			b.WriteString(l)
			b.WriteString([]string{" ", "\n\n", ", ", " - "}[rng.IntN(4)])
		}
		out = append(out, b.String())
	}
	return out
}

func slicesSort(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestFastPathsAgree holds the fast filter, the Maltese gate and the
// merged-table scoring of long text to the code they replaced.
func TestFastPathsAgree(t *testing.T) {
	d := defaultDetector(t)
	n := 600
	if testing.Short() {
		n = 100
	}
	long := 0
	for _, text := range mixedTexts(t, n) {
		ws := splitWords(text)
		if len(ws) == 0 {
			continue
		}
		gl, gok := d.byRules(ws)
		wl, wok := d.byRulesReference(ws)
		if gl != wl || gok != wok {
			t.Fatalf("byRules(%q) = %d %v, reference %d %v", text, gl, gok, wl, wok)
		}
		got, want := d.filter(ws), d.filterReference(ws)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("filter(%q) = %v, reference %v", text, got, want)
		}
		cands := gate(text, got)
		letters := 0
		for _, w := range ws {
			letters += w.runes
		}
		if letters < longText || len(cands) < 2 {
			continue
		}
		long++
		res := Result{Code: undetermined, Letters: letters}
		if g, w := d.detectLong(ws, cands, res), d.detectLongReference(ws, cands, res); !reflect.DeepEqual(g, w) {
			t.Fatalf("detectLong(%q):\n got %+v\nwant %+v", text, g, w)
		}
	}
	if long < n/4 {
		t.Errorf("only %d long texts", long)
	}
}

// TestAllLanguagesIndex takes the merged tables of every configured
// language: text with as many Latin as Cyrillic words.
func TestAllLanguagesIndex(t *testing.T) {
	d := defaultDetector(t)
	text := strings.Repeat("Правительство одобрило законопроект government announced plans ", 12)
	ws := splitWords(text)
	cands := gate(text, d.filter(ws))
	if len(cands) != len(d.langs)-1 { // all but Maltese
		t.Fatalf("candidates %v: the fixture no longer mixes scripts evenly", cands)
	}
	res := Result{Code: undetermined, Letters: 500}
	if g, w := d.detectLong(ws, cands, res), d.detectLongReference(ws, cands, res); !reflect.DeepEqual(g, w) {
		t.Fatalf("got %+v\nwant %+v", g, w)
	}
}

// longArticles are about 600 words per language, development sentences in
// paragraphs of four, for the languages the benchmarks cover.
func longArticles(tb testing.TB, codes ...string) []string {
	lines := devLines(tb)
	var out []string
	for _, c := range codes {
		ls := lines[c]
		var b strings.Builder
		for i := 0; len(strings.Fields(b.String())) < 600; i++ {
			if i > 0 && i%4 == 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(ls[i%len(ls)])
			b.WriteByte(' ')
		}
		out = append(out, b.String())
	}
	return out
}

// BenchmarkDetectLong600 detects the language of 600-word articles in
// English, Dutch, German, French and Spanish.
func BenchmarkDetectLong600(b *testing.B) {
	benchmarkDetect(b, longArticles(b, "en", "nl", "de", "fr", "es"))
}

// BenchmarkDetectLong600Reference is BenchmarkDetectLong600 with the long
// text scored the way it was before the merged tables.
func BenchmarkDetectLong600Reference(b *testing.B) {
	d := defaultDetector(b)
	if err := d.Preload(); err != nil {
		b.Fatal(err)
	}
	texts := longArticles(b, "en", "nl", "de", "fr", "es")
	i := 0
	for b.Loop() {
		ws := splitWords(texts[i%len(texts)])
		letters := 0
		for _, w := range ws {
			letters += w.runes
		}
		d.detectLongReference(ws, gate(texts[i%len(texts)], d.filterReference(ws)), Result{Letters: letters})
		i++
	}
}

// TestByRulesSmallSets checks byRules where ASCII letters do tell a
// language: one Latin language configured.
func TestByRulesSmallSets(t *testing.T) {
	texts := mixedTexts(t, 100)
	for _, codes := range [][]string{{"en", "ru"}, {"zh", "ja", "en"}, {"ko", "ja", "fr", "el"}, {"mt", "ar", "he"}} {
		d, err := NewDetector(codes)
		if err != nil {
			t.Fatal(err)
		}
		for _, text := range texts {
			ws := splitWords(text)
			gl, gok := d.byRules(ws)
			wl, wok := d.byRulesReference(ws)
			if gl != wl || gok != wok {
				t.Fatalf("%v: byRules(%q) = %d %v, reference %d %v", codes, text, gl, gok, wl, wok)
			}
		}
	}
}

func FuzzFastPathsAgree(f *testing.F) {
	for _, s := range []string{"Der Bundestag hat am Donnerstag das neue Gesetz beschlossen.", "Il-Prim Ministru ħabbar il-baġit",
		strings.Repeat("Правительство одобрило законопроект government announced plans ", 6), "東京の天気は晴れです 政府今天宣布"} {
		f.Add(s)
	}
	d := defaultDetector(f)
	f.Fuzz(func(t *testing.T, text string) {
		ws := splitWords(text)
		if len(ws) == 0 {
			return
		}
		gl, gok := d.byRules(ws)
		wl, wok := d.byRulesReference(ws)
		if gl != wl || gok != wok {
			t.Fatalf("byRules(%q) = %d %v, reference %d %v", text, gl, gok, wl, wok)
		}
		got, want := d.filter(ws), d.filterReference(ws)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("filter(%q) = %v, reference %v", text, got, want)
		}
		cands := gate(text, got)
		letters := 0
		for _, w := range ws {
			letters += w.runes
		}
		if letters < longText || len(cands) < 2 {
			return
		}
		res := Result{Code: undetermined, Letters: letters}
		if g, w := d.detectLong(ws, cands, res), d.detectLongReference(ws, cands, res); !reflect.DeepEqual(g, w) {
			t.Fatalf("detectLong(%q):\n got %+v\nwant %+v", text, g, w)
		}
	})
}

func TestCapitalWords(t *testing.T) {
	text := "SOCCER - GERMAN FIRST RESULTS.\nBONN 1996-12-07\nResults of Hansa Rostock (ESP) 東京 ǅemal NATO EU."
	var got []string
	for _, w := range splitWords(text) {
		s := w.s
		if w.capital {
			s = "^" + s
		}
		if w.sentenceEnd {
			s += "."
		}
		got = append(got, s)
	}
	want := "soccer german first results. ^bonn ^results of ^hansa ^rostock ^esp 東 京 ^ǆemal ^nato ^eu."
	if g := strings.Join(got, " "); g != want {
		t.Errorf("splitWords:\n got %s\nwant %s", g, want)
	}
}
