package sentiment

import (
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

// benchSentences are news-style sentences of ordinary length, one set per
// language, written for the benchmark.
var benchSentences = map[string][]string{
	"en": {
		"The government announced on Tuesday that it would cut funding for the program, a decision critics called reckless and short-sighted.",
		"Residents of the flooded town said they were grateful for the quick help of volunteers, but many still lack clean water.",
		"The company reported a modest rise in profits, although analysts had expected a stronger recovery after last year's losses.",
		"Police arrested two men suspected of the attack, which left three people seriously injured.",
	},
	"nl": {
		"De regering kondigde dinsdag aan dat ze de subsidie voor het programma schrapt, een besluit dat critici roekeloos en kortzichtig noemden.",
		"Bewoners van het overstroomde dorp zeiden dankbaar te zijn voor de snelle hulp van vrijwilligers, maar velen hebben nog steeds geen schoon water.",
	},
	"de": {
		"Die Regierung kündigte am Dienstag an, die Mittel für das Programm zu kürzen, eine Entscheidung, die Kritiker als leichtsinnig und kurzsichtig bezeichneten.",
		"Die Bewohner des überfluteten Dorfes sagten, sie seien dankbar für die schnelle Hilfe der Freiwilligen, aber viele haben noch immer kein sauberes Wasser.",
	},
	"fr": {
		"Le gouvernement a annoncé mardi qu'il réduirait le financement du programme, une décision que les critiques ont jugée imprudente et à courte vue.",
		"Les habitants du village inondé se sont dits reconnaissants de l'aide rapide des bénévoles, mais beaucoup n'ont toujours pas d'eau potable.",
	},
	"es": {
		"El Gobierno anunció el martes que recortaría la financiación del programa, una decisión que los críticos calificaron de imprudente y miope.",
		"Los vecinos del pueblo inundado dijeron estar agradecidos por la rápida ayuda de los voluntarios, pero muchos siguen sin agua potable.",
	},
}

// BenchmarkSentence scores one sentence at a time, as the editorial
// evaluation does (one sentence per article).
func BenchmarkSentence(b *testing.B) {
	tg := testTagger(b)
	for _, lang := range Languages {
		b.Run(lang, func(b *testing.B) {
			ss := benchSentences[lang]
			e := &article.Enrichment{Language: &article.Language{Code: lang, Confidence: 1}}
			a := &article.Raw{}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				a.Body = ss[i%len(ss)]
				e.Sentiment = nil
				if err := tg.Tag(a, e); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sentences/s")
		})
	}
}

// BenchmarkArticle scores a 40-sentence article with a title and
// per-sentence output.
func BenchmarkArticle(b *testing.B) {
	tg := testTagger(b)
	var body strings.Builder
	for i := range 10 {
		for j, s := range benchSentences["en"] {
			if j > 0 {
				body.WriteByte(' ')
			}
			body.WriteString(s)
		}
		if i < 9 {
			body.WriteString("\n\n")
		}
	}
	a := &article.Raw{Title: "Floods leave town without water", Body: body.String()}
	e := &article.Enrichment{Language: &article.Language{Code: "en", Confidence: 1}}
	n := len(Split(a.Body)) + 1
	b.ReportAllocs()
	for b.Loop() {
		e.Sentiment = nil
		if err := tg.Tag(a, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "sentences/s")
}
