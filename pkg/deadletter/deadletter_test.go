package deadletter

import (
	"context"
	"errors"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// recorder is a Publisher that keeps what it is given, or fails.
type recorder struct {
	topics []string
	msgs   []*message.Message
	err    error
}

func (r *recorder) Publish(topic string, msgs ...*message.Message) error {
	if r.err != nil {
		return r.err
	}
	for _, m := range msgs {
		r.topics = append(r.topics, topic)
		r.msgs = append(r.msgs, m)
	}
	return nil
}

func (r *recorder) Close() error { return nil }

func consumed(payload string, md map[string]string) *message.Message {
	m := message.NewMessage("uuid-1", []byte(payload))
	for k, v := range md {
		m.Metadata.Set(k, v)
	}
	m.SetContext(kafka.WithPosition(context.Background(), kafka.Position{Topic: "news.raw.v1", Partition: 3, Offset: 42, Key: []byte("key-1")}))
	return m
}

func TestMiddleware(t *testing.T) {
	tests := []struct {
		name       string
		handlerErr error
		pubErr     error
		attempts   string // dlq_attempts on the incoming message
		wantErr    bool
		wantDLQ    bool
		wantTries  string
	}{
		{name: "success passes through"},
		{name: "transient error is returned for retry", handlerErr: errors.New("db down"), wantErr: true},
		{name: "permanent error is dead-lettered", handlerErr: Permanent("missing_body", errors.New("body is required")), wantDLQ: true, wantTries: "1"},
		{name: "replayed message counts attempts", handlerErr: Permanent("missing_body", errors.New("x")), attempts: "2", wantDLQ: true, wantTries: "3"},
		{name: "DLQ down: never dropped", handlerErr: Permanent("missing_body", errors.New("x")), pubErr: errors.New("broker down"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{err: tt.pubErr}
			var counted []string
			mw := Middleware(Config{Publisher: rec, Stage: "enrich", Logger: zerolog.Nop(), OnDeadLetter: func(topic, reason string) {
				counted = append(counted, reason)
			}})
			md := map[string]string{"source": "file:x"}
			if tt.attempts != "" {
				md[article.HeaderDLQAttempts] = tt.attempts
			}
			msg := consumed(`{"bad":true}`, md)
			_, err := mw(func(*message.Message) ([]*message.Message, error) { return nil, tt.handlerErr })(msg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if got := len(rec.msgs) > 0; got != tt.wantDLQ {
				t.Fatalf("dead-lettered = %v, want %v", got, tt.wantDLQ)
			}
			if !tt.wantDLQ {
				return
			}
			d := rec.msgs[0]
			if rec.topics[0] != "news.raw.v1.dlq" || string(d.Payload) != `{"bad":true}` {
				t.Errorf("DLQ message went to %s with payload %s", rec.topics[0], d.Payload)
			}
			want := map[string]string{
				article.HeaderDLQStage: "enrich", article.HeaderDLQAttempts: tt.wantTries,
				article.HeaderOriginTopic: "news.raw.v1", article.HeaderOriginPartition: "3", article.HeaderOriginOffset: "42",
				article.HeaderArticleID: "key-1", "source": "file:x",
			}
			for k, v := range want {
				if d.Metadata.Get(k) != v {
					t.Errorf("header %s = %q, want %q", k, d.Metadata.Get(k), v)
				}
			}
			if d.Metadata.Get(article.HeaderDLQReason) == "" || d.Metadata.Get(article.HeaderFailedAt) == "" {
				t.Errorf("reason or failed_at missing: %v", d.Metadata)
			}
			if len(counted) != 1 || counted[0] != "missing_body" || msg.Metadata.Get(MarkerKey) == "" {
				t.Errorf("dead letter not counted or marked: %v", counted)
			}
		})
	}
}
