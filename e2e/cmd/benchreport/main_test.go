package main

import (
	"strings"
	"testing"
)

// run is one transport run of 1,000 messages at rate messages per second
// and cpuMs CPU-ms per 1,000 messages.
func run(client string, n int, rate, cpuMs float64) transport {
	return transport{Client: client, Mode: "passthrough", Run: n, Messages: 1000, Seconds: 1000 / rate, CPU: cpuMs / 1000}
}

func TestUnsteadyNamesOnlyRowsWhoseRunsDisagree(t *testing.T) {
	ts := []transport{
		run("kgo", 1, 240000, 6), run("newsflow-batched", 1, 190000, 9),
		run("kgo", 2, 130000, 10), run("newsflow-batched", 2, 195000, 9),
		run("kgo", 3, 140000, 10), run("newsflow-batched", 3, 200000, 9),
	}
	got := unsteady(ts)
	if !strings.Contains(got, "kgo passthrough 130000 to 240000 msg/s") {
		t.Errorf("kgo's runs differ by 1.8 times but are not named:\n%s", got)
	}
	if strings.Contains(got, "newsflow-batched") {
		t.Errorf("newsflow-batched's runs agree within 6 %% but are named:\n%s", got)
	}
	if s := unsteady(ts[1:2]); s != "" {
		t.Errorf("one run cannot disagree with itself, got %q", s)
	}
}

func TestTargetsSectionSaysWhichTargetsHold(t *testing.T) {
	ts := []transport{
		run("newsflow", 1, 100000, 17), run("newsflow-batched", 1, 200000, 9), run("kgo", 1, 250000, 6), run("watermill-kafka", 1, 40000, 26),
		run("router-alone", 1, 300000, 4),
	}
	runs := map[string]pipe{"e2e-full-sqlite": {Rate: 390}, "e2e-passthrough": {Rate: 7000}}
	lat := pipe{OfferedRate: 200, P99: 0.2, Latencies: []float64{0.1, 0.2}}
	got := targetsSection(ts, 310, runs, lat)
	for _, want := range []string{
		"| transport pass-through, our adapter batched, at least 0.6 of kgo's rate | 0.80 | yes |",
		"| transport pass-through, our adapter batched, at least 3 times watermill-kafka's rate | 5.00 times | yes |",
		"| transport pass-through, our adapter through the router, at least 0.6 of kgo's rate | 0.40 | **no** |",
		"| enrichment, all four taggers, at least 300 articles/s per core | 310 articles/s | yes |",
		"| end to end into SQLite with all four taggers, at least 400 articles/s | 390 articles/s | **no** |",
		"| end-to-end latency p99 under 1 s at 200 articles/s offered | 0.200 s | yes |",
		"would reach 0.60 of kgo's rate",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if s := targetsSection(nil, 0, nil, pipe{}); s != "" {
		t.Errorf("a run without figures has no targets section, got %q", s)
	}
}
