package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"

	"github.com/newsflow/newsflow/pkg/article"
)

// memPub keeps published article ids; failAt makes the publish that would
// take the total past failAt messages fail.
type memPub struct {
	mu     sync.Mutex
	ids    []string
	failAt int
	calls  int
}

func (m *memPub) PublishMessages(_ context.Context, msgs []*message.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.failAt > 0 && len(m.ids)+len(msgs) > m.failAt {
		return errors.New("broker went away")
	}
	for _, msg := range msgs {
		a, err := article.DecodeRaw(msg.Payload)
		if err != nil {
			return fmt.Errorf("published an invalid article: %w", err)
		}
		if msg.Metadata.Get(article.HeaderArticleID) != a.ID {
			return errors.New("key header is not the article id")
		}
		m.ids = append(m.ids, a.ID)
	}
	return nil
}

func writeJSONL(t *testing.T, path string, n int, bad map[int]string) {
	t.Helper()
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		if s, ok := bad[i]; ok {
			b.WriteString(s + "\n")
			continue
		}
		if i%2 == 0 {
			fmt.Fprintf(&b, `{"url":"https://news.example.org/%d","title":"T%d","maintext":"Body %d.","date_publish":"2020-09-14 15:00:00","language":"en","source_domain":"news.example.org"}`+"\n", i, i, i)
		} else {
			fmt.Fprintf(&b, `{"url":"https://news.example.org/%d","title":"T%d","body":"Body %d.","published":"2020-09-14"}`+"\n", i, i, i)
		}
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunReportsRefusals(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.jsonl")
	writeJSONL(t, path, 50, map[int]string{7: `{"title":"no body"}`, 8: "", 9: `not json`, 20: `{"body":"x","published":"when"}`,
		30: `{"body":"` + strings.Repeat("x", article.MaxMessageBytes+10) + `"}`})
	txt := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(txt, []byte(" date 2020-09 Een tekst.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pub := &memPub{}
	rep, err := Run(t.Context(), Config{Batch: 7, Workers: 3}, []string{path, txt}, pub, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Published != 46 || len(pub.ids) != 46 {
		t.Fatalf("published %d (%d), want 46", rep.Published, len(pub.ids))
	}
	want := map[string]int64{"missing_body": 1, "malformed_json": 1, "invalid_date": 1, "too_large": 1}
	for k, v := range want {
		if rep.Refused[k] != v {
			t.Errorf("refused %s: %d, want %d (%v)", k, rep.Refused[k], v, rep.Refused)
		}
	}
	wheres := map[string]bool{}
	for _, r := range rep.Refusals {
		wheres[r.Where] = true
	}
	for _, l := range []int{7, 9, 20, 30} {
		if !wheres[fmt.Sprintf("%s:%d", path, l)] {
			t.Errorf("refusal at line %d not reported: %v", l, wheres)
		}
	}
}

func TestCheckpointResumes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "archive.jsonl")
	ckpt := filepath.Join(dir, "state", "bulk.json")
	const n = 1000
	writeJSONL(t, path, n, nil)
	cfg := Config{Checkpoint: ckpt, Batch: 50, Workers: 4}

	// The broker goes away after about 400 articles.
	first := &memPub{failAt: 400}
	rep, err := Run(t.Context(), cfg, []string{path}, first, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "broker went away") {
		t.Fatalf("first run: %v", err)
	}
	if rep.Published >= n {
		t.Fatalf("first run published %d", rep.Published)
	}
	var ck checkpointFile
	data, _ := os.ReadFile(ckpt)
	if err := json.Unmarshal(data, &ck); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	e := ck.Files[abs]
	if e == nil || e.Done || e.Published != rep.Published || e.Line != int(rep.Published) {
		t.Fatalf("checkpoint %+v after publishing %d", e, rep.Published)
	}

	second := &memPub{}
	rep2, err := Run(t.Context(), cfg, []string{path}, second, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if rep2.ResumedLines != rep.Published || rep.Published+rep2.Published != n {
		t.Fatalf("resumed at %d, published %d then %d", rep2.ResumedLines, rep.Published, rep2.Published)
	}
	// Together the runs published every article; only batches acknowledged
	// out of order after the failed one can come twice, and the reader is
	// never more than about two batches per worker ahead of the checkpoint.
	got := map[string]int{}
	for _, id := range append(first.ids, second.ids...) {
		got[id]++
	}
	dups := len(first.ids) + len(second.ids) - len(got)
	if len(got) != n || dups > (2*cfg.Workers+1)*cfg.Batch {
		t.Fatalf("%d distinct articles, %d duplicates", len(got), dups)
	}

	// A third run finds the file done and publishes nothing.
	third := &memPub{}
	rep3, err := Run(t.Context(), cfg, []string{path}, third, zerolog.Nop())
	if err != nil || rep3.SkippedFiles != 1 || len(third.ids) != 0 {
		t.Fatalf("third run: %+v %v", rep3, err)
	}

	// The file grows (an append-only archive): only the new lines go.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintln(f, `{"url":"https://news.example.org/new","body":"New."}`)
	f.Close()
	fourth := &memPub{}
	if _, err := Run(t.Context(), cfg, []string{path}, fourth, zerolog.Nop()); err != nil || len(fourth.ids) != 1 {
		t.Fatalf("after append: %d published, %v", len(fourth.ids), err)
	}
}

func TestInterruptKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "archive.jsonl")
	writeJSONL(t, path, 5000, nil)
	cfg := Config{Checkpoint: filepath.Join(dir, "ck.json"), Batch: 100, Workers: 2}
	ctx, cancel := context.WithCancel(t.Context())
	pub := &slowPub{delay: 5 * time.Millisecond}
	go func() {
		time.Sleep(60 * time.Millisecond)
		cancel()
	}()
	rep, err := Run(ctx, cfg, []string{path}, pub, zerolog.Nop())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	rest := &memPub{}
	rep2, err := Run(t.Context(), cfg, []string{path}, rest, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	// The batches read before the interrupt were still published and
	// recorded: the resumed run starts exactly where the first stopped.
	distinct := map[string]bool{}
	for _, id := range append(pub.ids, rest.ids...) {
		distinct[id] = true
	}
	if len(distinct) != 5000 || rep.Published+rep2.Published != 5000 || len(pub.ids) != int(rep.Published) {
		t.Fatalf("published %d (%d sent) + %d, %d distinct", rep.Published, len(pub.ids), rep2.Published, len(distinct))
	}
}

type slowPub struct {
	memPub
	delay time.Duration
}

func (s *slowPub) PublishMessages(ctx context.Context, msgs []*message.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	time.Sleep(s.delay)
	return s.memPub.PublishMessages(ctx, msgs)
}

func TestDamagedCheckpointIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ck.json")
	_ = os.WriteFile(path, []byte("{half"), 0o644)
	if _, err := LoadCheckpoint(path); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("%v", err)
	}
}

func TestBar(t *testing.T) {
	got := bar(1000, 500, 450, 5, 2*time.Second)
	for _, s := range []string{"[==============>", " 50.0%", "450 published", "5 refused", "225/s", "2s left"} {
		if !strings.Contains(got, s) {
			t.Errorf("bar %q lacks %q", got, s)
		}
	}
}
