package bulk

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// startBar draws a progress bar on w every 200 ms until the returned
// function is called, which draws it a last time and ends the line.
func startBar(w io.Writer, total int64, done, published, refused *atomic.Int64) func() {
	if w == nil {
		return func() {}
	}
	start := time.Now()
	draw := func() {
		_, _ = io.WriteString(w, "\r"+bar(total, done.Load(), published.Load(), refused.Load(), time.Since(start))+"\x1b[K")
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				draw()
				_, _ = io.WriteString(w, "\n")
				return
			case <-t.C:
				draw()
			}
		}
	}()
	return func() {
		close(stop)
		<-finished
	}
}

// bar renders one line: the bar, the share of bytes done, counts, rate
// and time left.
func bar(total, done, published, refused int64, took time.Duration) string {
	const width = 28
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	filled := int(frac * width)
	b := "[" + strings.Repeat("=", filled)
	if filled < width {
		b += ">" + strings.Repeat(" ", width-filled-1)
	}
	b += "]"
	rate := 0.0
	if s := took.Seconds(); s > 0 {
		rate = float64(published) / s
	}
	eta := "--"
	if done > 0 && frac < 1 {
		left := time.Duration(float64(took) * (1 - frac) / frac)
		eta = left.Round(time.Second).String()
	} else if frac >= 1 {
		eta = "0s"
	}
	return fmt.Sprintf("%s %5.1f%% %d published, %d refused, %.0f/s, %s left", b, frac*100, published, refused, rate, eta)
}
