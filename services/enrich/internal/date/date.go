// Package date normalises the publication date of an article and finds the
// dates mentioned in its title and body, resolved against it.
//
// The publication date comes from the source's published field (the sample
// header, a feed date, a JSON field: see ParsePublished), else from a
// dateline at the start of the text, else from the ingest time; its source
// says which. Mentions are found by rules per language (English, Dutch,
// German, French and Spanish have words for dates; every language gets the
// numeric forms) and are never more precise than what they are relative to.
package date

import (
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// Tagger sets e.Date.
type Tagger struct{}

// New returns the date tagger.
func New() *Tagger { return &Tagger{} }

// Name implements the enrich pipeline's Tagger.
func (t *Tagger) Name() string { return "date" }

// Sources of the publication date.
const (
	SourceHeader = "header"
	SourceFeed   = "feed"
	SourceText   = "text"
	SourceIngest = "ingest"
)

// Tag normalises the publication date and finds the date mentions, using the
// language set by the language tagger.
func (t *Tagger) Tag(a *article.Raw, e *article.Enrichment) error {
	lang := ""
	if e.Language != nil {
		lang = e.Language.Code
	}
	d := &article.Date{Mentions: []article.DateMention{}}
	ref, ok := Publication(a, lang)
	if ok {
		d.Published, d.Precision, d.Source = ref.Value, ref.Precision, ref.Source
	}
	r := Ref{T: ref.T, Precision: ref.Precision}
	for _, f := range []struct{ name, text string }{{"title", a.Title}, {"body", a.Body}} {
		if f.text == "" {
			continue
		}
		for _, m := range FindMentions(f.text, lang, r) {
			d.Mentions = append(d.Mentions, article.DateMention{
				Span:  article.Span{Field: f.name, Start: m.Start, End: m.End, Text: m.Text},
				Value: m.Value,
			})
		}
	}
	e.Date = d
	return nil
}

// Published is a normalised publication date.
type Published struct {
	Value     string // canonical ISO 8601
	Precision article.Precision
	Source    string
	T         time.Time // the start of the date, UTC for zoned times
}

// Publication finds the publication date of an article: its published
// field, a dateline at the start of title or body, or the ingest time.
func Publication(a *article.Raw, lang string) (Published, bool) {
	if a.Published != "" {
		if v, p, err := ParsePublished(a.Published); err == nil {
			src := SourceHeader
			if a.Source.Type == "feed" {
				src = SourceFeed
			}
			return published(v, p, src), true
		}
	}
	if p, ok := dateline(a, lang); ok {
		return p, true
	}
	if !a.IngestedAt.IsZero() {
		v := article.FormatDate(a.IngestedAt, article.PrecisionSecond, true)
		return published(v, article.PrecisionSecond, SourceIngest), true
	}
	return Published{}, false
}

func published(v string, p article.Precision, src string) Published {
	pub := Published{Value: v, Precision: p, Source: src}
	for _, l := range []string{"2006-01-02T15:04:05Z", "2006-01-02T15:04:05", "2006-01-02T15:04Z", "2006-01-02T15:04", "2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(l, v); err == nil {
			pub.T = t
			break
		}
	}
	return pub
}

// datelineChars is how far into the text a dateline may start.
const datelineChars = 200

// dateline takes a full date (with its year) near the start of the title or
// body, as wire stories and press releases open ("BRUSSELS, 14 September
// 2020 —").
func dateline(a *article.Raw, lang string) (Published, bool) {
	for _, text := range []string{a.Title, a.Body} {
		head := text
		if len(head) > datelineChars {
			head = head[:datelineChars]
		}
		for _, m := range FindMentions(head, lang, Ref{}) {
			if v, p, err := article.ParseDate(m.Value); err == nil && rank(p) >= 3 {
				return published(v, p, SourceText), true
			}
		}
	}
	return Published{}, false
}
