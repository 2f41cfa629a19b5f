package entities

import (
	"io/fs"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// benchText is newsflow's own text (not a corpus sentence): a Dutch news
// paragraph with the usual mix of names, places and organisations.
const benchText = `De Europese Commissie in Brussel heeft dinsdag een nieuw steunpakket voor Oekraïne voorgesteld. ` +
	`Commissievoorzitter Ursula von der Leyen zei na overleg met premier Dick Schoof en de Duitse bondskanselier dat de EU ` +
	`"niet aan de zijlijn zal blijven staan". Volgens het Centraal Planbureau kost het plan Nederland ruim twee miljard euro. ` +
	`In Den Haag reageerde de oppositie verdeeld: GroenLinks-PvdA steunt het voorstel, de PVV noemt het "onbetaalbaar". ` +
	`De NAVO-top in Washington begint volgende week; ook de Amerikaanse president en de Poolse premier Donald Tusk worden verwacht.`

func benchArticle(n int) string {
	return strings.Repeat(benchText+"\n\n", n)
}

// BenchmarkTagger measures the tagger alone (tokenising, features, Viterbi,
// marginals, consistency) on a 1,000-token article, in tokens per second:
// the Dutch text with the Dutch model (one stage) and with the Spanish and
// English ones (two stages).
func BenchmarkTagger(b *testing.B) {
	tg := testTagger(b)
	body := benchArticle(8)
	for _, lang := range []string{"nl", "es", "en"} {
		b.Run(lang, func(b *testing.B) {
			tokens := len(Tokenize(body, lang))
			a := &article.Raw{Body: body}
			e := &article.Enrichment{Language: &article.Language{Code: lang}}
			if err := tg.Tag(a, e); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if err := tg.Tag(a, e); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(tokens)*float64(b.N)/time.Since(start).Seconds(), "tokens/s")
		})
	}
}

// BenchmarkDecode measures the model on pre-tokenised sentences (what
// evalentities' token mode runs), both stages for a two-stage model.
func BenchmarkDecode(b *testing.B) {
	tg := testTagger(b)
	m, _, err := tg.Model("nl")
	if err != nil {
		b.Fatal(err)
	}
	toks := Tokenize(benchText, "nl")
	words := make([]string, len(toks))
	for i, t := range toks {
		words[i] = benchText[t.Start:t.End]
	}
	var st state
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		st.decodeStacked(m, words, false)
	}
	b.ReportMetric(float64(len(words))*float64(b.N)/time.Since(start).Seconds(), "tokens/s")
}

func BenchmarkTokenize(b *testing.B) {
	body := benchArticle(8)
	toks := appendTokens(nil, body, "nl")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		toks = appendTokens(toks[:0], body, "nl")
	}
}

// BenchmarkLoadModels loads every embedded model and reports the time and
// the heap they hold.
func BenchmarkLoadModels(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		tg, err := New(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		if err := tg.Load(); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heapMB")
		runtime.KeepAlive(tg)
	}
	entries, _ := fs.ReadDir(embedded, "models")
	b.ReportMetric(float64(len(entries)-1), "models")
}
