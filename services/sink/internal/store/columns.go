package store

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// MaxNormBytes bounds the normalised entity text kept for indexing: B-tree
// keys have a size limit (about 2.7 kB in PostgreSQL), and no real entity
// name comes near it. The full text is kept in Entity.Text.
const MaxNormBytes = 256

// Columns are the fields every store derives from a record: the columns
// people filter on, the entity mentions, and the document itself. SQLite,
// PostgreSQL and Parquet hold the same logical row.
type Columns struct {
	ID                 string
	URL                string
	Title              string
	SourceType         string
	SourceName         string
	SourceURI          string
	Published          string     // ISO 8601 as precise as known, "" when unknown
	PublishedPrecision string     // year, month, day, minute, second; "" when unknown
	PublishedDay       *time.Time // the day, when known to the day (UTC midnight)
	PublishedMonth     *time.Time // the first of the month, when known to the month
	Language           *string
	LanguageConfidence *float64
	SentimentScore     *float64
	SentimentLabel     *string
	SentimentConf      *float64
	EnrichmentVersion  string
	VersionOrd         int64 // sorts like the version
	IngestedAt         time.Time
	EnrichedAt         time.Time
	Topic              string
	Partition          int
	Offset             int64
	Doc                []byte // the enriched article as consumed, compact JSON
	Entities           []EntityRow
}

// EntityRow is one entity mention.
type EntityRow struct {
	Ord        int // position in the article's entity list
	Field      string
	Start, End int
	Type       string
	Text       string
	Norm       string // article.NormaliseText(Text), cut to MaxNormBytes
	Confidence *float64
}

// ColumnsOf derives the columns of a record.
func ColumnsOf(r Record) Columns {
	a := r.Article
	c := Columns{
		ID: a.ID, URL: a.URL, Title: a.Title,
		SourceType: a.Source.Type, SourceName: a.Source.Name, SourceURI: a.Source.URI,
		EnrichmentVersion: a.Enrichment.Version, VersionOrd: r.Version.Ordinal(),
		IngestedAt: a.IngestedAt.UTC(), EnrichedAt: a.Enrichment.EnrichedAt.UTC(),
		Topic: r.Topic, Partition: r.Part, Offset: r.Offset,
		Doc: Compact(r.Payload),
	}
	published := a.Published
	if d := a.Enrichment.Date; d != nil && d.Published != "" {
		published = d.Published
	}
	if published != "" {
		c.Published = published
		if canon, p, err := article.ParseDate(published); err == nil {
			c.Published, c.PublishedPrecision = canon, string(p)
			if t, err := time.Parse("2006-01", canon[:min(7, len(canon))]); err == nil && p != article.PrecisionYear && t.Year() >= 1 {
				c.PublishedMonth = &t
				if p != article.PrecisionMonth {
					if day, err := time.Parse(time.DateOnly, canon[:10]); err == nil {
						c.PublishedDay = &day
					}
				}
			}
		}
	}
	if l := a.Enrichment.Language; l != nil {
		c.Language, c.LanguageConfidence = &l.Code, &l.Confidence
	}
	if s := a.Enrichment.Sentiment; s != nil {
		c.SentimentScore, c.SentimentLabel, c.SentimentConf = &s.Score, &s.Label, &s.Confidence
	}
	if n := len(a.Enrichment.Entities); n > 0 {
		c.Entities = make([]EntityRow, n)
		for i, e := range a.Enrichment.Entities {
			row := EntityRow{Ord: i, Field: e.Field, Start: e.Start, End: e.End, Type: e.Type, Text: e.Text, Norm: cut(article.NormaliseText(e.Text), MaxNormBytes)}
			if e.Confidence != 0 {
				conf := e.Confidence
				row.Confidence = &conf
			}
			c.Entities[i] = row
		}
	}
	return c
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Compact removes insignificant white space so a document is one line.
// Documents without line breaks (what json.Marshal writes) are kept as they
// are: a JSON string cannot hold a raw line break, so they are one line.
func Compact(b []byte) []byte {
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	var buf bytes.Buffer
	buf.Grow(len(b))
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}
