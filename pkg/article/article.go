// Package article holds the v1 message contract shared by the newsflow
// services: the raw and enriched article types, the article id rule, strict
// decoding and the sample file format.
package article

import "time"

// SchemaVersion is the version of the raw and enriched article schema carried
// by the news.*.v1 topics. A breaking change means a new topic, not a new value.
const SchemaVersion = 1

// Topics and consumer groups of the v1 contract.
const (
	RawTopic      = "news.raw.v1"
	EnrichedTopic = "news.enriched.v1"
	EnrichGroup   = "newsflow-enrich"
	SinkGroupBase = "newsflow-sink-"
)

// DLQTopic names the dead-letter topic of a consumed topic.
func DLQTopic(topic string) string { return topic + ".dlq" }

// Header names carried on every article message.
const (
	HeaderSchemaVersion     = "schema_version"
	HeaderArticleID         = "article_id"
	HeaderSource            = "source"
	HeaderIngestedAt        = "ingested_at"
	HeaderEnrichmentVersion = "enrichment_version"
)

// Header names added to dead-lettered messages.
const (
	HeaderDLQReason       = "dlq_reason"
	HeaderDLQStage        = "dlq_stage"
	HeaderDLQAttempts     = "dlq_attempts"
	HeaderOriginTopic     = "origin_topic"
	HeaderOriginPartition = "origin_partition"
	HeaderOriginOffset    = "origin_offset"
	HeaderFailedAt        = "failed_at"
)

// Source says where a raw article came from.
type Source struct {
	Type string `json:"type"` // file, jsonl, feed, http
	Name string `json:"name"`
	URI  string `json:"uri"`
}

// Raw is an article as ingest publishes it to news.raw.v1.
type Raw struct {
	SchemaVersion int       `json:"schema_version"`
	ID            string    `json:"id"`
	Source        Source    `json:"source"`
	URL           string    `json:"url"`
	Title         string    `json:"title"`
	Body          string    `json:"body"`
	Published     string    `json:"published"`
	IngestedAt    time.Time `json:"ingested_at"`
	LangHint      string    `json:"lang_hint"`
}

// Enriched is a raw article plus its tags, as enrich publishes it to
// news.enriched.v1.
type Enriched struct {
	Raw
	Enrichment Enrichment `json:"enrichment"`
}

// Enrichment holds the tags. A tagger that did not run leaves its field
// absent; a tagger that ran and found nothing leaves it empty.
type Enrichment struct {
	Version    string     `json:"version"`
	EnrichedAt time.Time  `json:"enriched_at"`
	Language   *Language  `json:"language,omitzero"`
	Date       *Date      `json:"date,omitzero"`
	Entities   []Entity   `json:"entities,omitzero"`
	Sentiment  *Sentiment `json:"sentiment,omitzero"`
}

// Language is the detected language of title and body.
type Language struct {
	Code       string  `json:"code"` // ISO 639-1, or "und"
	Confidence float64 `json:"confidence"`
}

// Undetermined is the language code for text whose language cannot be told.
const Undetermined = "und"

// Date is the normalised publication date and the dates mentioned in the text.
type Date struct {
	Published string        `json:"published,omitempty"`
	Precision Precision     `json:"precision,omitempty"`
	Source    string        `json:"source,omitempty"` // header, feed, text, ingest
	Mentions  []DateMention `json:"mentions"`
}

// Span is a slice of a text field: UTF-8 byte offsets, end exclusive.
type Span struct {
	Field string `json:"field"` // title or body
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// DateMention is a date or time expression found in the text.
type DateMention struct {
	Span
	Value string `json:"value"` // ISO 8601 as precise as the text allows
}

// Entity is a named-entity mention.
type Entity struct {
	Span
	Type       string  `json:"type"` // PER, ORG, LOC or MISC
	Confidence float64 `json:"confidence,omitzero"`
}

// Entity types (the CoNLL classes).
const (
	PER  = "PER"
	ORG  = "ORG"
	LOC  = "LOC"
	MISC = "MISC"
)

// Sentiment is the tone of the article.
type Sentiment struct {
	Score      float64             `json:"score"` // in [-1, 1]
	Label      string              `json:"label"` // negative, neutral, positive
	Confidence float64             `json:"confidence"`
	Sentences  []SentenceSentiment `json:"sentences,omitzero"`
}

// SentenceSentiment is the score of one sentence of title or body.
type SentenceSentiment struct {
	Field string  `json:"field"`
	Start int     `json:"start"`
	End   int     `json:"end"`
	Score float64 `json:"score"`
}

// Sentiment labels.
const (
	Negative = "negative"
	Neutral  = "neutral"
	Positive = "positive"
)

// Headers are the contract headers of a message carrying this article.
func (a *Raw) Headers() map[string]string {
	return map[string]string{
		HeaderSchemaVersion: "1",
		HeaderArticleID:     a.ID,
		HeaderSource:        a.Source.Type + ":" + a.Source.Name,
		HeaderIngestedAt:    a.IngestedAt.UTC().Format(time.RFC3339Nano),
	}
}
