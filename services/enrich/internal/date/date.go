// Package date normalises the publication date of an article and finds the
// dates mentioned in its text.
package date

import (
	"github.com/newsflow/newsflow/pkg/article"
)

// Tagger sets e.Date.
type Tagger struct{}

// New returns the date tagger.
func New() *Tagger { return &Tagger{} }

// Name implements the enrich pipeline's Tagger.
func (t *Tagger) Name() string { return "date" }

// Tag normalises the publication date with its precision and origin.
func (t *Tagger) Tag(a *article.Raw, e *article.Enrichment) error {
	d := &article.Date{Mentions: []article.DateMention{}}
	if a.Published != "" {
		if v, p, err := article.ParseDate(a.Published); err == nil {
			d.Published, d.Precision, d.Source = v, p, publishedSource(a.Source.Type)
		}
	}
	if d.Published == "" && !a.IngestedAt.IsZero() {
		d.Published = article.FormatDate(a.IngestedAt, article.PrecisionSecond, true)
		d.Precision, d.Source = article.PrecisionSecond, "ingest"
	}
	e.Date = d
	return nil
}

// publishedSource says where a source's publication date came from.
func publishedSource(sourceType string) string {
	if sourceType == "feed" {
		return "feed"
	}
	return "header"
}
