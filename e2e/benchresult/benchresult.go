// Package benchresult holds what the benchmark commands write as JSON
// (transbench, pipebench, scalebench) and benchreport reads back into
// docs/benchmarks.md: one definition for both sides.
package benchresult

// Transport is one measured transport run.
type Transport struct {
	Client   string  `json:"client"`
	Mode     string  `json:"mode"`
	Run      int     `json:"run"`
	Messages int     `json:"messages"`
	Seconds  float64 `json:"seconds"`
	CPU      float64 `json:"cpu_seconds"`
	Allocs   uint64  `json:"heap_allocs"`
}

// PerSecond is the throughput.
func (r Transport) PerSecond() float64 { return float64(r.Messages) / r.Seconds }

// AllocsPerMsg is heap allocations per message, client and broker together.
func (r Transport) AllocsPerMsg() float64 { return float64(r.Allocs) / float64(r.Messages) }

// CPUPer1000 is CPU milliseconds per 1,000 messages.
func (r Transport) CPUPer1000() float64 { return r.CPU * 1000 / float64(r.Messages) * 1000 }

// Pipe is what one end-to-end run measured.
type Pipe struct {
	Mode        string    `json:"mode"` // throughput or latency
	Articles    int       `json:"articles"`
	Size        int       `json:"size"`
	Targets     []string  `json:"targets"`
	Taggers     string    `json:"taggers"`
	Workers     int       `json:"enrich_workers"`
	IngestRate  float64   `json:"ingest_per_second,omitempty"`
	Rate        float64   `json:"pipeline_per_second,omitempty"`
	Seconds     float64   `json:"seconds"`
	OfferedRate float64   `json:"offered_per_second,omitempty"`
	P50         float64   `json:"latency_p50_seconds,omitempty"`
	P90         float64   `json:"latency_p90_seconds,omitempty"`
	P99         float64   `json:"latency_p99_seconds,omitempty"`
	Max         float64   `json:"latency_max_seconds,omitempty"`
	Latencies   []float64 `json:"latencies_seconds,omitempty"`
	// CPU is the CPU time per article, in milliseconds, of ingest, the
	// enrich processes, the sink, and the benchmark process (broker and
	// harness).
	CPU map[string]float64 `json:"cpu_ms_per_article,omitempty"`
}

// Scale is one enrichment scaling or replay configuration's figure.
type Scale struct {
	Name     string  `json:"name"`
	Articles int     `json:"articles"`
	Seconds  float64 `json:"seconds"`
	Rate     float64 `json:"per_second"`
	Pause    float64 `json:"longest_pause_seconds,omitempty"`
}
