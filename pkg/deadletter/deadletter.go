// Package deadletter sends messages that no retry can fix to the consumed
// topic's dead-letter topic, with the reason, and lets every other error
// through to be retried. It sits outside the retry middleware: bad input is
// dead-lettered at once, transient failures block the partition until they
// pass.
package deadletter

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// MarkerKey is set in a message's metadata once it has been dead-lettered,
// so outer middlewares can tell a dead-lettered message from a processed one.
const MarkerKey = "_newsflow_dead_lettered"

// PermanentError marks an error caused by the message itself.
type PermanentError struct {
	Reason string // short and machine-friendly: invalid_utf8, too_large, ...
	Err    error
}

func (e *PermanentError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as caused by the message: it will be dead-lettered,
// not retried.
func Permanent(reason string, err error) error { return &PermanentError{Reason: reason, Err: err} }

// IsPermanent reports whether err is caused by the message.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Config configures the middleware.
type Config struct {
	Publisher message.Publisher
	// Stage names the stage that refused the message: enrich, sink-sqlite, ...
	Stage string
	// OnDeadLetter, when set, is told of every dead-lettered message.
	OnDeadLetter func(topic, reason string)
	Logger       zerolog.Logger
}

// Middleware dead-letters messages whose handler failed with a
// PermanentError, to the DLQ of the topic they were consumed from.
func Middleware(cfg Config) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			out, err := h(msg)
			var perm *PermanentError
			if err == nil || !errors.As(err, &perm) {
				return out, err
			}
			pos, _ := kafka.PositionFromCtx(msg.Context())
			topic, dlq := Build(msg, pos, perm, cfg.Stage)
			if err := cfg.Publisher.Publish(topic, dlq); err != nil {
				// Never drop: the message is redelivered until the DLQ takes it.
				return nil, fmt.Errorf("dead-lettering message at %s/%d@%d: %w", pos.Topic, pos.Partition, pos.Offset, err)
			}
			cfg.Logger.Warn().Str("reason", perm.Reason).Err(perm.Err).Str("dlq_topic", topic).
				Str("topic", pos.Topic).Int("partition", pos.Partition).Int64("offset", pos.Offset).
				Str("article_id", dlq.Metadata.Get(article.HeaderArticleID)).Msg("message dead-lettered")
			if cfg.OnDeadLetter != nil {
				cfg.OnDeadLetter(topic, perm.Reason)
			}
			msg.Metadata.Set(MarkerKey, perm.Reason)
			return nil, nil
		}
	}
}

// Build makes the dead-letter message for msg, consumed at pos and refused
// with perm by stage, and names its topic: the original key and payload, the
// original headers, and the dlq_* and origin_* headers. dlq_attempts counts
// how often the message has been dead-lettered, across DLQ replays.
func Build(msg *message.Message, pos kafka.Position, perm *PermanentError, stage string) (string, *message.Message) {
	dlq := message.NewMessage(msg.UUID, msg.Payload)
	for k, v := range msg.Metadata {
		if k != MarkerKey {
			dlq.Metadata.Set(k, v)
		}
	}
	if dlq.Metadata.Get(article.HeaderArticleID) == "" && len(pos.Key) > 0 {
		dlq.Metadata.Set(article.HeaderArticleID, string(pos.Key))
	}
	attempts := 1
	if n, err := strconv.Atoi(msg.Metadata.Get(article.HeaderDLQAttempts)); err == nil {
		attempts = n + 1 // replayed from the DLQ before
	}
	dlq.Metadata.Set(article.HeaderDLQReason, perm.Reason+": "+perm.Err.Error())
	dlq.Metadata.Set(article.HeaderDLQStage, stage)
	dlq.Metadata.Set(article.HeaderDLQAttempts, strconv.Itoa(attempts))
	dlq.Metadata.Set(article.HeaderOriginTopic, pos.Topic)
	dlq.Metadata.Set(article.HeaderOriginPartition, strconv.Itoa(pos.Partition))
	dlq.Metadata.Set(article.HeaderOriginOffset, strconv.FormatInt(pos.Offset, 10))
	dlq.Metadata.Set(article.HeaderFailedAt, time.Now().UTC().Format(time.RFC3339Nano))
	return article.DLQTopic(pos.Topic), dlq
}
