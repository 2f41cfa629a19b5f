package language

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

func defaultDetector(t testing.TB) *Detector {
	t.Helper()
	d, err := NewDetector(DefaultLanguages)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestLinguaModelsLinked(t *testing.T) {
	li := slices.IndexFunc(supported, func(l lang) bool { return l.code == "en" })
	tb, err := model(li, 3)
	if err != nil || tb == nil {
		t.Fatalf("lingua-go's English trigram model did not load (%v): has lingua-go moved its embedded models?", err)
	}
	if _, ok := tb.get(hashString("the")); !ok {
		t.Error(`"the" is not an English trigram`)
	}
}

func TestDefaultLanguages(t *testing.T) {
	if len(DefaultLanguages) < 40 {
		t.Errorf("%d default languages, want at least 40", len(DefaultLanguages))
	}
	eu := []string{"bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu", "ga", "it", "lv", "lt", "mt", "pl", "pt", "ro", "sk", "sl", "es", "sv"}
	for _, c := range append(eu, "ru", "uk", "be", "nb", "tr", "ar", "zh", "ja", "ko") {
		if !slices.Contains(DefaultLanguages, c) {
			t.Errorf("%s missing from the default set", c)
		}
	}
	if _, err := NewDetector(DefaultLanguages); err != nil {
		t.Fatal(err)
	}
}

func TestNewDetectorRejects(t *testing.T) {
	for _, codes := range [][]string{{"en", "xx"}, {"en"}, {}} {
		if _, err := NewDetector(codes); !errors.Is(err, ErrUnsupported) {
			t.Errorf("NewDetector(%v) = %v, want ErrUnsupported", codes, err)
		}
	}
	d, err := NewDetector([]string{"no", "da", "sv"})
	if err != nil || !slices.Contains(d.Languages(), "nb") {
		t.Errorf("no is not taken for nb: %v %v", d.Languages(), err)
	}
}

func TestDetect(t *testing.T) {
	d := defaultDetector(t)
	tests := []struct{ name, text, want, reason string }{
		{"empty", "  12 345 !!", "und", "empty"},
		{"too short", "ok", "und", "short"},
		{"greek script", "Η κυβέρνηση ανακοίνωσε νέα μέτρα", "el", "script"},
		{"hangul", "정부는 새로운 정책을 발표했다", "ko", "script"},
		{"kana", "東京の天気は晴れです", "ja", "script"},
		{"han", "政府今天宣布了新的经济政策", "zh", "script"},
		{"russian", "Правительство России одобрило законопроект", "ru", "ngrams"},
		{"ukrainian", "Уряд України схвалив законопроєкт", "uk", ""},
		{"german sentence", "Der Bundestag hat am Donnerstag das neue Gesetz beschlossen.", "de", "ngrams"},
		{"dutch pair", "het kabinet", "nl", ""},
		{"german pair", "große Koalition", "de", ""},
		{"maltese", "Il-Prim Ministru ħabbar il-baġit il-ġdid", "mt", ""},
		{"english pair", "the government", "en", "ngrams"},
		{"polish", "Rząd przyjął projekt ustawy", "pl", ""},
		{"long french", strings.Repeat("Le gouvernement a présenté mercredi un projet de loi sur la réforme des retraites. ", 3), "fr", "long"},
		// Names are spelt in their own language; the words around them
		// tell the text's (this page was German when every word counted
		// alike).
		{"english page of german names", "SOCCER - GERMAN FIRST DIVISION RESULTS .\nBONN 1996-12-07\n" +
			"Results of German first division soccer matches played on Saturday :\n" +
			"Hansa Rostock 1 Borussia Moenchengladbach 1\nSchalke 1 Freiburg 0\nBayer Leverkusen 2 Werder Bremen 1\n" +
			"Fortuna Duesseldorf 0 Karlsruhe 3\nVfB Stuttgart 4 St Pauli 0", "en", "long"},
		{"short english page of german names", "SOCCER - GERMAN CUP RESULT .\nBONN 1996-08-22\nResult of German Cup match :\n" +
			"Hertha Berlin 1 Borussia Dortmund 3", "en", "ngrams"},
		{"mixed", "The government announced on Tuesday that it would raise the minimum wage by five percent next year. " +
			"Police arrested two men after a shooting outside a nightclub in the city centre early on Sunday. " +
			"The central bank kept interest rates unchanged, citing uncertainty about inflation and energy prices. " +
			"Die Bundesregierung hat am Mittwoch ein neues Klimaschutzprogramm auf den Weg gebracht. " +
			"Bei einem Unfall auf der Autobahn sind in der Nacht zwei Menschen ums Leben gekommen. " +
			"Die Europäische Zentralbank hat den Leitzins erneut um einen Viertelprozentpunkt angehoben.", "und", "mixed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := d.Detect(tt.text)
			if r.Code != tt.want || (tt.reason != "" && r.Reason != tt.reason) {
				t.Errorf("Detect(%q) = %s (%s, %.3f, %v), want %s (%s)", tt.text, r.Code, r.Reason, r.Confidence, r.Candidates, tt.want, tt.reason)
			}
			if r.Confidence < 0 || r.Confidence > 1 {
				t.Errorf("confidence %v out of range", r.Confidence)
			}
		})
	}
}

func TestHintOnlyBreaksTies(t *testing.T) {
	d := defaultDetector(t)
	const text = "i skole" // Danish, Norwegian and Swedish alike
	r := d.Detect(text)
	if len(r.Candidates) < 2 || r.Confidence >= hintMargin {
		t.Fatalf("fixture no longer ambiguous: %+v", r)
	}
	second := r.Candidates[1].Code
	if got := d.DetectWithHint(text, second+"-XX"); got.Code != second {
		t.Errorf("hint %s for the runner-up did not decide a near tie: %+v", second, got)
	}
	if got := d.DetectWithHint(text, "fi"); got.Code != r.Code {
		t.Errorf("hint fi, not a candidate, changed the answer to %s", got.Code)
	}
	clear := "Der Bundestag hat am Donnerstag das neue Gesetz beschlossen."
	if got := d.DetectWithHint(clear, "nl"); got.Code != "de" {
		t.Errorf("hint nl overrode a clear German sentence: %+v", got)
	}
}

func TestConfidenceGrowsWithEvidence(t *testing.T) {
	for _, c := range []calibration{shortCalibration, longCalibration} {
		prev := 0.0
		for _, m := range []float64{0, 0.1, 0.5, 1, 2, 5} {
			p := c.confidence(m, 40)
			if p < prev {
				t.Errorf("%+v: confidence falls from %v to %v at margin %v", c, prev, p, m)
			}
			prev = p
		}
	}
}

// TestDevelopmentSentences keeps sentence accuracy on the development set
// at the 98 % (the full figures come from make eval-language).
func TestDevelopmentSentences(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/langdev/*.txt")
	if len(files) == 0 {
		t.Fatal("no development set")
	}
	d := defaultDetector(t)
	n, ok := 0, 0
	for _, f := range files {
		code := strings.TrimSuffix(filepath.Base(f), ".txt")
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			n++
			if r := d.Detect(l); r.Code == code {
				ok++
			} else {
				t.Logf("%s: %q -> %s", code, l, r.Code)
			}
		}
	}
	if acc := float64(ok) / float64(n); acc < 0.98 {
		t.Errorf("sentence accuracy %.3f < 0.98", acc)
	}
}

func TestTag(t *testing.T) {
	tg, err := New(DefaultLanguages)
	if err != nil {
		t.Fatal(err)
	}
	a := &article.Raw{Title: "Regering presenteert begroting", Body: "Het kabinet heeft dinsdag de plannen voor een nieuwe belastinghervorming gepresenteerd."}
	e := &article.Enrichment{}
	if err := tg.Tag(a, e); err != nil {
		t.Fatal(err)
	}
	if e.Language == nil || e.Language.Code != "nl" || e.Language.Confidence < 0.9 {
		t.Errorf("got %+v, want nl with high confidence", e.Language)
	}
}

func devTexts(tb testing.TB) (sentences, pairs, articles []string) {
	files, _ := filepath.Glob("../../testdata/langdev/*.txt")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		sentences = append(sentences, lines...)
		for _, l := range lines {
			ws := strings.Fields(l)
			for i := 0; i+1 < len(ws); i += 2 {
				pairs = append(pairs, ws[i]+" "+ws[i+1])
			}
		}
		articles = append(articles, strings.Join(lines, " "))
	}
	return sentences, pairs, articles
}

func benchmarkDetect(b *testing.B, texts []string) {
	d := defaultDetector(b)
	if err := d.Preload(); err != nil {
		b.Fatal(err)
	}
	for _, t := range texts {
		d.Detect(t) // builds the merged tables
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		d.Detect(texts[i%len(texts)])
		i++
	}
}

func BenchmarkDetectSentence(b *testing.B) {
	s, _, _ := devTexts(b)
	benchmarkDetect(b, s)
}

func BenchmarkDetectPair(b *testing.B) {
	_, p, _ := devTexts(b)
	benchmarkDetect(b, p)
}

func BenchmarkDetectArticle(b *testing.B) {
	_, _, a := devTexts(b)
	benchmarkDetect(b, a)
}
