package logging

import (
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Limiter keeps repeated log lines from flooding the log: the first line
// with a given key in a window is written; the rest are counted and written
// as one summary line with the count and the first error when the window
// closes. A broker or database outage then costs a line per window, not a
// line per message.
type Limiter struct {
	log    zerolog.Logger
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	keys map[string]*limited
}

type limited struct {
	start      time.Time
	suppressed int
	first      error
	level      zerolog.Level
}

// NewLimiter writes to l, one line per key per window.
func NewLimiter(l zerolog.Logger, window time.Duration) *Limiter {
	return &Limiter{log: l, window: window, now: time.Now, keys: map[string]*limited{}}
}

// Log writes msg at level unless a line with the same msg was written within
// the window; then it is counted. fields adds context to the written line.
func (l *Limiter) Log(level zerolog.Level, msg string, err error, fields map[string]any) {
	now := l.now()
	l.mu.Lock()
	st, ok := l.keys[msg]
	if ok && now.Sub(st.start) < l.window {
		st.suppressed++
		if st.first == nil {
			st.first = err
		}
		l.mu.Unlock()
		return
	}
	var summary *limited
	if ok && st.suppressed > 0 {
		summary = &limited{start: st.start, suppressed: st.suppressed, first: st.first, level: st.level}
	}
	l.keys[msg] = &limited{start: now, level: level}
	l.mu.Unlock()
	if summary != nil {
		l.writeSummary(msg, summary, now)
	}
	ev := l.log.WithLevel(level)
	if err != nil {
		ev = ev.Err(err)
	}
	ev.Fields(fields).Msg(msg)
}

// Flush writes the summaries of windows that have closed; services call it
// periodically so a burst that stops is still reported.
func (l *Limiter) Flush() {
	now := l.now()
	l.mu.Lock()
	var out []struct {
		msg string
		st  limited
	}
	for msg, st := range l.keys {
		if now.Sub(st.start) >= l.window {
			if st.suppressed > 0 {
				out = append(out, struct {
					msg string
					st  limited
				}{msg, *st})
			}
			delete(l.keys, msg)
		}
	}
	l.mu.Unlock()
	for _, o := range out {
		l.writeSummary(o.msg, &o.st, now)
	}
}

func (l *Limiter) writeSummary(msg string, st *limited, now time.Time) {
	ev := l.log.WithLevel(st.level).Int("repeated", st.suppressed).Dur("within", now.Sub(st.start))
	if st.first != nil {
		ev = ev.AnErr("first_error", st.first)
	}
	ev.Msg(msg + " (repeated)")
}

// Run flushes every window until done is closed.
func (l *Limiter) Run(done <-chan struct{}) {
	t := time.NewTicker(l.window)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.Flush()
		case <-done:
			l.Flush()
			return
		}
	}
}
