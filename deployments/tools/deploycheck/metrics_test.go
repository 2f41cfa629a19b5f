package deploycheck

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/ops"
	"github.com/newsflow/newsflow/pkg/stage"
)

// exported maps each metric name the services can export (histograms as
// _bucket, _sum and _count) to its label names. The registry is built the way
// the services build theirs: ops.NewServer's registry (Go and process
// collectors), the consumer, tagger and batch metrics, and watermill's router
// metrics under the newsflow namespace. Each vector gets one observation so
// that it is gathered.
func exported(t *testing.T) map[string]map[string]bool {
	t.Helper()
	srv := ops.NewServer(ops.Config{}, zerolog.Nop())
	reg := srv.Registry()
	cm, err := ops.NewConsumerMetrics(reg, "enrich", "newsflow-enrich", "news.raw.v1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	cm.Assigned("news.raw.v1", []int{0})
	cm.Delivered(kafka.Position{Topic: "news.raw.v1", Partition: 0, Offset: 1})
	cm.Committed("news.raw.v1", 0, 1)
	cm.FetchError("news.raw.v1", 0, context.DeadlineExceeded)
	cm.DeadLettered("news.raw.v1.dlq", "malformed_json")
	cm.Processed(time.Now())
	tm, err := ops.NewTaggerMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	tm.Observe("language", time.Millisecond)
	bm, err := ops.NewBatchMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	bm.Observe("postgres", 10, 10, time.Millisecond, nil)
	bm.Observe("postgres", 10, 0, time.Millisecond, context.DeadlineExceeded)

	// The lag gauge is set by PollLag from the admin client; register its
	// labels as NewConsumerMetrics declares them.
	names := map[string]map[string]bool{
		"newsflow_consumer_lag": {"stage": true, "group": true, "topic": true, "partition": true},
	}
	routerMetrics(t, reg)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		labels := map[string]bool{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = true
			}
		}
		switch mf.GetType().String() {
		case "HISTOGRAM":
			withLE := map[string]bool{"le": true}
			for l := range labels {
				withLE[l] = true
			}
			names[mf.GetName()+"_bucket"] = withLE
			names[mf.GetName()+"_sum"] = labels
			names[mf.GetName()+"_count"] = labels
		case "SUMMARY":
			names[mf.GetName()+"_sum"] = labels
			names[mf.GetName()+"_count"] = labels
			withQ := map[string]bool{"quantile": true}
			for l := range labels {
				withQ[l] = true
			}
			names[mf.GetName()] = withQ
		default:
			names[mf.GetName()] = labels
		}
	}
	return names
}

// routerMetrics runs one message through a watermill router instrumented as
// pkg/stage instruments it.
func routerMetrics(t *testing.T, reg prometheus.Registerer) {
	t.Helper()
	logger := watermill.NopLogger{}
	pubsub := gochannel.NewGoChannel(gochannel.Config{}, logger)
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: time.Second}, logger)
	if err != nil {
		t.Fatal(err)
	}
	router.AddMiddleware(stage.HandlerMetrics(reg))
	done := make(chan struct{})
	router.AddConsumerHandler("enrich", "news.raw.v1", pubsub, func(msg *message.Message) error {
		close(done)
		return nil
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	go func() { _ = router.Run(ctx) }()
	<-router.Running()
	if err := pubsub.Publish("news.raw.v1", message.NewMessage(watermill.NewUUID(), []byte("{}"))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatal("the router handled nothing")
	}
	// The handler returned; give the metrics middleware its moment.
	time.Sleep(100 * time.Millisecond)
	if err := router.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestExportedNames(t *testing.T) {
	names := exported(t)
	want := []string{
		"newsflow_consumer_lag", "newsflow_time_lag_seconds", "newsflow_messages_processed_total",
		"newsflow_dead_letters_total", "newsflow_consumer_messages_total", "newsflow_consumer_fetch_errors_total",
		"newsflow_consumer_assigned_partitions", "newsflow_consumer_committed_offset",
		"newsflow_tagger_seconds_bucket", "newsflow_sink_batch_records_bucket", "newsflow_sink_batch_seconds_bucket",
		"newsflow_sink_write_errors_total", "newsflow_sink_records_total",
		"newsflow_handler_execution_time_seconds_bucket",
		"process_resident_memory_bytes", "go_goroutines",
	}
	var missing []string
	for _, n := range want {
		if names[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		var got []string
		for n := range names {
			got = append(got, n)
		}
		sort.Strings(got)
		t.Fatalf("not exported: %v\nexported: %v", missing, got)
	}
}
