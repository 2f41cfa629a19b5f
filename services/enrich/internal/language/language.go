// Package language detects the language of an article's title and body.
package language

import (
	"strings"

	"github.com/pemistahl/lingua-go"

	"github.com/newsflow/newsflow/pkg/article"
)

// DefaultLanguages is the language set detected unless configured otherwise.
var DefaultLanguages = []string{
	"bg", "hr", "cs", "da", "nl", "en", "et", "fi", "fr", "de", "el", "hu", "ga", "it", "lv", "lt",
	"mt", "pl", "pt", "ro", "sk", "sl", "es", "sv", "ru", "uk", "be", "nb", "nn", "tr", "ar", "zh",
	"ja", "ko", "ca", "eu", "sr", "bs", "sq", "mk", "is", "he", "fa", "hi", "id", "vi",
}

// Tagger detects the language with lingua-go.
type Tagger struct {
	detector lingua.LanguageDetector
}

// New builds a detector for the given ISO 639-1 codes.
func New(codes []string) *Tagger {
	var isos []lingua.IsoCode639_1
	for _, c := range codes {
		iso := lingua.GetIsoCode639_1FromValue(strings.ToUpper(c))
		if iso != lingua.UnknownIsoCode639_1 {
			isos = append(isos, iso)
		}
	}
	d := lingua.NewLanguageDetectorBuilder().FromIsoCodes639_1(isos...).WithLowAccuracyMode().Build()
	return &Tagger{detector: d}
}

// Name implements the enrich pipeline's Tagger.
func (t *Tagger) Name() string { return "language" }

// Tag sets e.Language.
func (t *Tagger) Tag(a *article.Raw, e *article.Enrichment) error {
	text := a.Title + "\n" + a.Body
	lang, ok := t.detector.DetectLanguageOf(text)
	if !ok {
		e.Language = &article.Language{Code: article.Undetermined}
		return nil
	}
	conf := t.detector.ComputeLanguageConfidence(text, lang)
	e.Language = &article.Language{Code: strings.ToLower(lang.IsoCode639_1().String()), Confidence: round(conf)}
	return nil
}

func round(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }
