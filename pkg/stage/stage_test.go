package stage

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/deadletter"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/ops"
)

// TestStage runs a stage against the embedded broker with a handler that
// fails in each way the delivery rules distinguish, and accounts for every
// message: processed, dead-lettered with its reason, or retried until it
// went through.
func TestStage(t *testing.T) {
	b, err := broker.Start(broker.Config{DataDir: t.TempDir(), Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	conn := kafka.ConnConfig{Brokers: b.Brokers()}
	topic := "stage-test.v1"

	var mu sync.Mutex
	processed := map[string]int{}
	var transient atomic.Int32
	handler := func(msg *message.Message) error {
		switch string(msg.Payload) {
		case "bad":
			return deadletter.Permanent("invalid", errors.New("bad payload"))
		case "panic":
			panic("tagger bug")
		case "flaky":
			if transient.Add(1) <= 3 {
				return errors.New("database is down")
			}
		}
		mu.Lock()
		processed[string(msg.Payload)]++
		mu.Unlock()
		return nil
	}
	srv := ops.NewServer(ops.Config{Addr: "127.0.0.1:0"}, zerolog.Nop())
	st, err := New(Config{Name: "test", Topic: topic, Group: "stage-test", Partitions: 4, MaxInFlight: 4,
		RetryMax: 5, RetryInitial: 10 * time.Millisecond, RetryMaxPause: 50 * time.Millisecond}, conn, handler, nil, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Instrument(srv, time.Minute); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	select {
	case <-st.Running():
	case <-time.After(30 * time.Second):
		t.Fatal("stage did not start")
	}

	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn}, watermill.NopLogger{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	var msgs []*message.Message
	for _, p := range []string{"ok-1", "bad", "ok-2", "panic", "flaky", "ok-3"} {
		m := message.NewMessage(watermill.NewUUID(), []byte(p))
		m.Metadata.Set(article.HeaderArticleID, p)
		msgs = append(msgs, m)
	}
	if err := pub.Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}

	admin, _ := kafka.NewAdmin(conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		lags, err := admin.Lag(context.Background(), "stage-test", topic)
		var lag int64 = -1
		if err == nil {
			lag = 0
			for _, l := range lags {
				lag += l.Lag
			}
		}
		mu.Lock()
		n := len(processed)
		mu.Unlock()
		if lag == 0 && n == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all messages accounted for: processed %v, lag %d", processed, lag)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range []string{"ok-1", "ok-2", "ok-3", "flaky"} {
		if processed[p] != 1 {
			t.Errorf("%s processed %d times, want 1", p, processed[p])
		}
	}

	// The DLQ holds the bad message and the panic, with reasons.
	ends, err := admin.TopicOffsets(context.Background(), article.DLQTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for p, o := range ends {
		_ = admin.ReadRange(context.Background(), article.DLQTopic(topic), p, o.First, o.End, func(m kafkago.Message) error {
			for _, h := range m.Headers {
				if h.Key == article.HeaderDLQReason {
					reasons[string(m.Value)] = string(h.Value)
				}
			}
			return nil
		})
	}
	if len(reasons) != 2 || !strings.HasPrefix(reasons["bad"], "invalid") || !strings.HasPrefix(reasons["panic"], "panic") {
		t.Errorf("dead letters = %v, want bad (invalid) and panic (panic)", reasons)
	}

	// The metrics say the same.
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`newsflow_messages_processed_total{outcome="dead_lettered",stage="test"} 2`,
		`newsflow_messages_processed_total{outcome="ok",stage="test"} 4`,
		`newsflow_dead_letters_total{reason="invalid",stage="test",topic="stage-test.v1.dlq"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	rec = httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("/readyz = %d: %s", rec.Code, rec.Body.String())
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
