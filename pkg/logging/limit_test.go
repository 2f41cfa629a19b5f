package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestLimiter(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(zerolog.New(&buf), 10*time.Second)
	l.now = func() time.Time { return now }

	for i := range 500 {
		l.Log(zerolog.ErrorLevel, "publishing failed", errors.New("broker down"), map[string]any{"n": i})
	}
	l.Log(zerolog.ErrorLevel, "other failure", errors.New("x"), nil)
	if got := strings.Count(buf.String(), "\n"); got != 2 {
		t.Fatalf("500 repeats and one other error wrote %d lines, want 2:\n%s", got, buf.String())
	}
	now = now.Add(11 * time.Second)
	l.Flush()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("after the window, %d lines, want 3 (one summary):\n%s", len(lines), buf.String())
	}
	var summary map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &summary); err != nil {
		t.Fatal(err)
	}
	if summary["repeated"] != float64(499) || summary["first_error"] != "broker down" {
		t.Errorf("summary = %v, want 499 repeats of broker down", summary)
	}
	// A new window writes the first line again.
	l.Log(zerolog.ErrorLevel, "publishing failed", errors.New("broker down"), nil)
	if got := strings.Count(buf.String(), "\n"); got != 4 {
		t.Errorf("a new window did not write its first line: %d lines", got)
	}
}
