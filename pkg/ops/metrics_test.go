package ops

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

func TestStuckConsumer(t *testing.T) {
	tests := []struct {
		name    string
		events  func(m *ConsumerMetrics)
		wantErr string
	}{
		{name: "idle with nothing waiting", events: func(m *ConsumerMetrics) { m.Assigned("t", []int{0}) }},
		{name: "lag but committing", events: func(m *ConsumerMetrics) {
			m.Assigned("t", []int{0})
			m.parts[0].lag = 10
			m.Committed("t", 0, 5)
		}},
		{name: "lag and no progress past the threshold", events: func(m *ConsumerMetrics) {
			m.Assigned("t", []int{0})
			m.parts[0].lag, m.parts[0].movedAt = 10, time.Now().Add(-time.Hour)
		}, wantErr: "no progress"},
		{name: "replaced reader fetches nothing either", events: func(m *ConsumerMetrics) {
			m.Assigned("t", []int{3})
			m.Stalled("t", 3, 7, false)
		}, wantErr: "reader replaced"},
		{name: "replaced reader recovered", events: func(m *ConsumerMetrics) {
			m.Assigned("t", []int{3})
			m.Stalled("t", 3, 7, false)
			m.Committed("t", 3, 9)
		}},
		{name: "revoked partitions do not count", events: func(m *ConsumerMetrics) {
			m.Assigned("t", []int{0})
			m.parts[0].lag, m.parts[0].movedAt = 10, time.Now().Add(-time.Hour)
			m.Revoked("t", []int{0})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := NewConsumerMetrics(prometheus.NewRegistry(), "enrich", "g", "t", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			tt.events(m)
			err = m.Stuck()
			if (err != nil) != (tt.wantErr != "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("Stuck() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestServerChecks(t *testing.T) {
	s := NewServer(Config{}, zerolog.Nop())
	s.Live("ok", func(context.Context) error { return nil })
	s.Ready("kafka", func(context.Context) error { return context.DeadlineExceeded })
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 503, "/metrics": 200} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("%s = %d, want %d: %s", path, rec.Code, want, rec.Body.String())
		}
	}
}
