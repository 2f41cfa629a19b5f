// Package handler is the sink stage's message handler: decode an enriched
// article and hand it to the batcher of its store, returning once the batch
// holding it is durable.
package handler

import (
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/deadletter"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/services/sink/internal/batch"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// New returns the handler for one store's batcher. processed, when set,
// hears of each stored article's ingest time.
func New(b *batch.Batcher, processed func(ingestedAt time.Time)) func(msg *message.Message) error {
	return func(msg *message.Message) error {
		a, err := article.DecodeEnriched(msg.Payload)
		if err != nil {
			return deadletter.Permanent(article.Reason(err), err)
		}
		v, err := article.ParseVersion(a.Enrichment.Version)
		if err != nil {
			return deadletter.Permanent(article.Reason(err), err)
		}
		pos, _ := kafka.PositionFromCtx(msg.Context())
		rec := store.Record{
			Article: &a, Version: v, Payload: msg.Payload,
			Topic: pos.Topic, Part: pos.Partition, Offset: pos.Offset,
		}
		if err := store.Check(rec); err != nil {
			return deadletter.Permanent(article.Reason(err), err)
		}
		// Store errors are transient (the store is down or slow): they are
		// retried and block the partition, never dead-lettered. Only a
		// record the store refused for its content is.
		err = b.Add(msg.Context(), rec)
		var rej *store.RejectError
		if errors.As(err, &rej) {
			return deadletter.Permanent("store_rejected", err)
		}
		if err == nil && processed != nil {
			processed(a.IngestedAt)
		}
		return err
	}
}
