// Package handler is the enrich stage's message handler: decode a raw
// article, tag it, publish the enriched article keyed by the same id.
package handler

import (
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/deadletter"
)

// Enricher tags raw articles.
type Enricher interface {
	Enrich(a *article.Raw) (*article.Enriched, error)
}

// Handler enriches raw article messages.
type Handler struct {
	enricher  Enricher
	publisher message.Publisher
	topic     string
	// Processed, when set, hears of each published article's ingest time.
	Processed func(ingestedAt time.Time)
}

// New returns a handler publishing to topic.
func New(e Enricher, pub message.Publisher, topic string) *Handler {
	return &Handler{enricher: e, publisher: pub, topic: topic}
}

// Handle decodes, enriches and publishes one message. Bad input and tagger
// failures are permanent (dead-lettered); publish failures are retried.
func (h *Handler) Handle(msg *message.Message) error {
	raw, err := article.DecodeRaw(msg.Payload)
	if err != nil {
		return deadletter.Permanent(article.Reason(err), err)
	}
	enriched, err := h.enricher.Enrich(&raw)
	if err != nil {
		return deadletter.Permanent("tagger_failed", err)
	}
	data, err := article.Encode(enriched)
	if err != nil {
		return deadletter.Permanent(article.Reason(err), err)
	}
	out := message.NewMessage(watermill.NewUUID(), data)
	out.Metadata = enriched.Headers()
	out.Metadata.Set(article.HeaderEnrichmentVersion, enriched.Enrichment.Version)
	if err := h.publisher.Publish(h.topic, out); err != nil {
		return err
	}
	if h.Processed != nil {
		h.Processed(raw.IngestedAt)
	}
	return nil
}
