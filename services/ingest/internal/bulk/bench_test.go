package bulk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"
)

type nopPub struct{}

func (nopPub) PublishMessages(context.Context, []*message.Message) error { return nil }

// BenchmarkRun is the bulk path without a broker: read, decode, validate,
// encode 3 KB articles. Compare with benchstat.
func BenchmarkRun(b *testing.B) {
	path := filepath.Join(b.TempDir(), "in.jsonl")
	body := strings.Repeat("The council met on Monday to discuss the harbour budget. ", 50)
	var sb strings.Builder
	const n = 10000
	for i := range n {
		fmt.Fprintf(&sb, `{"url":"https://news.example.org/%d","title":"Article %d","body":%q,"published":"2020-09-14T15:00:00Z","lang_hint":"en"}`+"\n", i, i, body)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sb.Len()))
	b.ResetTimer()
	for b.Loop() {
		rep, err := Run(b.Context(), Config{Workers: 1}, []string{path}, nopPub{}, zerolog.Nop())
		if err != nil || rep.Published != n {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/article")
}
