// Package language detects the language of an article's title and body.
//
// The detector scores letter n-grams with lingua-go's statistical models and
// its method, but holds the models in compact tables of its own (8 bytes per
// n-gram instead of lingua-go's ~130) and spends the expensive models only
// where they pay:
//
//   - text whose script or letters belong to one configured language is
//     told by rule (Greek, Hebrew, Korean, ..., or mostly words with "ħ");
//   - long text (120 letters and more) is scored with trigrams alone, in
//     chunks, so mixed-language text is seen and reported as "und";
//   - short text is ranked with trigrams, and only the best few candidates
//     are scored with the 1- to 5-gram models (loaded on first need).
//
// Confidence is calibrated on the development set (see calibrate.go), and
// the source's lang_hint only breaks near ties.
package language

import (
	"math"
	"strings"

	"github.com/newsflow/newsflow/pkg/article"
)

const (
	// hintMargin is the confidence below which a lang_hint naming the
	// runner-up decides between the two.
	hintMargin = 0.6
)

// Tagger sets the article language.
type Tagger struct {
	detector *Detector
}

// New builds a tagger that chooses among the given ISO 639-1 codes ("no" is
// taken for Norwegian Bokmål, reported as "nb").
func New(codes []string) (*Tagger, error) {
	d, err := NewDetector(codes)
	if err != nil {
		return nil, err
	}
	return &Tagger{detector: d}, nil
}

// Detector returns the tagger's detector.
func (t *Tagger) Detector() *Detector { return t.detector }

// Name implements the enrich pipeline's Tagger.
func (t *Tagger) Name() string { return "language" }

// Tag sets e.Language from the title and body.
func (t *Tagger) Tag(a *article.Raw, e *article.Enrichment) error {
	text := a.Body
	if a.Title != "" {
		text = a.Title + "\n\n" + a.Body
	}
	r := t.detector.DetectWithHint(text, a.LangHint)
	e.Language = &article.Language{Code: r.Code, Confidence: round(r.Confidence)}
	return nil
}

// DetectWithHint detects the language of text and lets hint, the source's
// own claim, decide only between two close candidates.
func (d *Detector) DetectWithHint(text, hint string) Result {
	r := d.Detect(text)
	hint = strings.ToLower(strings.TrimSpace(hint))
	if i := strings.IndexAny(hint, "-_"); i > 0 {
		hint = hint[:i] // en-GB, pt_BR
	}
	if a, ok := aliases[hint]; ok {
		hint = a
	}
	if hint == "" || hint == r.Code || len(r.Candidates) < 2 || r.Reason == "mixed" {
		return r
	}
	if r.Candidates[1].Code == hint && r.Confidence < hintMargin {
		r.Code = hint
		r.Confidence = 1 - r.Confidence
		r.Reason += "+hint"
	}
	return r
}

func round(f float64) float64 { return math.Round(f*1000) / 1000 }
