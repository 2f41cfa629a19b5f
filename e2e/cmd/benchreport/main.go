// Command benchreport turns the outputs of `make bench` into
// docs/benchmarks.md and two SVG plots: transport throughput per mode and
// client, and the end-to-end latency distribution.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/newsflow/newsflow/e2e/benchresult"
)

type (
	transport = benchresult.Transport
	pipe      = benchresult.Pipe
)

func main() {
	dir := flag.String("dir", "var/bench", "directory with the benchmark outputs")
	out := flag.String("out", "docs/benchmarks.md", "markdown report to write")
	flag.Parse()
	if err := report(*dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func report(dir, out string) error {
	var b strings.Builder
	docs := filepath.Dir(out)

	var ts []transport
	if err := readJSON(filepath.Join(dir, "transport.json"), &ts); err == nil {
		b.WriteString(transportSection(ts))
		if err := os.WriteFile(filepath.Join(docs, "benchmarks-transport.svg"), []byte(transportSVG(ts)), 0o644); err != nil {
			return err
		}
		b.WriteString("\n![transport throughput](benchmarks-transport.svg)\n\n")
		var sync []transport
		if readJSON(filepath.Join(dir, "transport-sync.json"), &sync) == nil && len(sync) > 0 {
			b.WriteString("### With synchronous writes\n\nThe same pass-through with the broker fsyncing every produced batch (`-sync-writes`, how the e2e\n" +
				"harness and the chaos suite run it, so a kill -9 loses nothing acknowledged). Clients that send\n" +
				"many small produce requests pay one fsync each.\n\n")
			b.WriteString(transportTable(sync))
			b.WriteString("\n")
		}
	} else {
		fmt.Fprintf(&b, "## Transport\n\nNot measured in this run (%v).\n\n", err)
	}

	enrich, slowest, enrichRate := enrichSection(dir)
	b.WriteString(enrich)

	b.WriteString("## End to end\n\nIngest, enrich and sink as separate processes on the embedded broker (on disk, in the\nbenchmark process), generated articles in five languages (`e2e/gen`).\n\n")
	b.WriteString("CPU is milliseconds per article of each process (the broker's in the benchmark process's).\n\n")
	b.WriteString("| run | taggers | enrich workers | sinks | articles | article size | ingest/s | end-to-end articles/s | CPU ingest / enrich / sink / broker |\n|---|---|---|---|---|---|---|---|---|\n")
	runs := map[string]pipe{}
	for _, name := range []string{"e2e-full-sqlite", "e2e-full", "e2e-full-2workers", "e2e-passthrough", "e2e-passthrough-nometrics",
		"e2e-passthrough-postgres", "e2e-passthrough-jsonl"} {
		var p pipe
		if readJSON(filepath.Join(dir, name+".json"), &p) != nil {
			continue
		}
		runs[name] = p
		cpu := ""
		if p.CPU != nil {
			cpu = fmt.Sprintf("%.2f / %.2f / %.2f / %.2f", p.CPU["ingest"], p.CPU["enrich"], p.CPU["sink"], p.CPU["broker"])
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %d | ~%d B | %.0f | %.0f | %s |\n", name, p.Taggers, p.Workers,
			strings.Join(p.Targets, ", "), p.Articles, p.Size, p.IngestRate, p.Rate, cpu)
	}
	if full, ok := runs["e2e-full-sqlite"]; ok && len(full.CPU) > 0 {
		if err := os.WriteFile(filepath.Join(docs, "benchmarks-stages.svg"), []byte(stagesSVG(full)), 0o644); err != nil {
			return err
		}
		b.WriteString("\nWhat each stage of the first run handles per CPU-second of its own (1,000 over its CPU-ms per article); " +
			"a stage whose process uses more than one core passes more per second than its bar:\n\n" +
			"![articles per CPU-second by stage](benchmarks-stages.svg)\n")
	}
	with, okW := runs["e2e-passthrough"]
	without, okWo := runs["e2e-passthrough-nometrics"]
	if okW && okWo && without.Rate > 0 {
		fmt.Fprintf(&b, "\n**Cost of metrics and health endpoints:** pass-through with them %.0f articles/s, without (`-http-addr=`) %.0f articles/s: %.1f %% %s.\n",
			with.Rate, without.Rate, 100*math.Abs(1-with.Rate/without.Rate), map[bool]string{true: "slower with them", false: "faster with them (noise)"}[with.Rate < without.Rate])
	}
	var lat pipe
	if readJSON(filepath.Join(dir, "e2e-latency.json"), &lat) == nil && len(lat.Latencies) > 0 {
		fmt.Fprintf(&b, "\n**Latency** at a fixed offered rate of %.0f articles/s for %.0f s (%d articles, taggers %s, sink %s): "+
			"from the article's publication to its row being committed in SQLite, p50 **%.3f s**, p90 %.3f s, p99 **%.3f s**, max %.3f s.\n\n",
			lat.OfferedRate, lat.Seconds, lat.Articles, lat.Taggers, strings.Join(lat.Targets, ", "), lat.P50, lat.P90, lat.P99, lat.Max)
		if err := os.WriteFile(filepath.Join(docs, "benchmarks-latency.svg"), []byte(latencySVG(lat)), 0o644); err != nil {
			return err
		}
		b.WriteString("![end-to-end latency distribution](benchmarks-latency.svg)\n\n")
	}
	b.WriteString(scaleSection(filepath.Join(dir, "scale.json")))
	b.WriteString(nextSection(runs, slowest, ts))
	b.WriteString(goBenchSection(filepath.Join(dir, "go-bench.txt")))
	b.WriteString(howTo)
	head := fmt.Sprintf("# Benchmarks\n\nWritten by `make bench` on %s. Rerun it to refresh every figure here; nothing in\nthis file is typed in by hand.\n\n", finished(dir).UTC().Format("2006-01-02 15:04 MST"))
	head += machine(dir) + targetsSection(ts, enrichRate, runs, lat)
	return os.WriteFile(out, []byte(head+b.String()), 0o644)
}

const howTo = `## How to rerun

` + "```sh\nmake bench            # everything above, then this file\n" +
	"go run ./e2e/cmd/transbench -n 200000 -runs 3          # the transport comparison alone (-sync-writes: fsync per batch)\n" +
	"go run ./e2e/cmd/transbench -runs 1 -modes passthrough -clients newsflow -cpuprofile /tmp/tb  # profile of the measured phase: /tmp/tb-newsflow-passthrough.prof\n" +
	"go run ./e2e/cmd/pipebench -n 100000 -to sqlite         # one end-to-end run\n" +
	"go run ./e2e/cmd/pipebench -rate 200 -duration 60s      # latency at a fixed rate\n" +
	"bin/enrich tag -timings -warmup articles.jsonl -workers 1 < articles.jsonl > /dev/null  # where enrichment time goes\n```\n\n" +
	"Compare runs as ratios measured in the same run: the machine is shared and its load moves absolute figures.\n"

// finished is when the suite wrote its last figure, hostspeed.txt's second
// line, so a report written again from the same outputs keeps the run's date.
func finished(dir string) time.Time {
	if fi, err := os.Stat(filepath.Join(dir, "hostspeed.txt")); err == nil {
		return fi.ModTime()
	}
	return time.Now()
}

func machine(dir string) string {
	var b strings.Builder
	b.WriteString("## Machine\n\n")
	model := ""
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(strings.SplitN(string(data), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf("%.0f GiB", float64(kb)/1024/1024)
	}
	fmt.Fprintf(&b, "- %d cores (%s), %s memory, %s, %s/%s\n", runtime.NumCPU(), model, mem, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if data, err := os.ReadFile(filepath.Join(dir, "load.txt")); err == nil {
		fmt.Fprintf(&b, "- load average while the suite ran (start, end): %s\n", strings.TrimSpace(strings.ReplaceAll(string(data), "\n", "; ")))
	}
	if data, err := os.ReadFile(filepath.Join(dir, "hostspeed.txt")); err == nil {
		var secs []string
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if v, ok := strings.CutPrefix(l, "hostspeed "); ok {
				secs = append(secs, v+" s")
			}
		}
		fmt.Fprintf(&b, "- host speed: `e2e/cmd/hostspeed`'s fixed work took %s (start, end); less is faster. "+
			"The host behind this machine changes, so compare two runs' rates only against it\n", strings.Join(secs, " and "))
	}
	b.WriteString("- the broker is the embedded kfake with an on-disk data directory, in the benchmark's process\n\n")
	return b.String()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

type agg struct{ rate, cpu, allocs float64 }

func medians(ts []transport) (map[[2]string]agg, []string, []string) {
	rates, cpus, allocs := map[[2]string][]float64{}, map[[2]string][]float64{}, map[[2]string][]float64{}
	var modes, clients []string
	for _, t := range ts {
		k := [2]string{t.Mode, t.Client}
		rates[k] = append(rates[k], t.PerSecond())
		cpus[k] = append(cpus[k], t.CPUPer1000())
		allocs[k] = append(allocs[k], t.AllocsPerMsg())
		if !slices.Contains(modes, t.Mode) {
			modes = append(modes, t.Mode)
		}
		if !slices.Contains(clients, t.Client) {
			clients = append(clients, t.Client)
		}
	}
	out := map[[2]string]agg{}
	for k := range rates {
		out[k] = agg{median(rates[k]), median(cpus[k]), median(allocs[k])}
	}
	return out, modes, clients
}

func transportSection(ts []transport) string {
	var b strings.Builder
	runs, msgs := 0, 0
	for _, t := range ts {
		if t.Mode == ts[0].Mode && t.Client == ts[0].Client {
			runs++
		}
		msgs = t.Messages
	}
	fmt.Fprintf(&b, "## Transport\n\n%d messages of 2 KiB (distinct random values, no compression for any client) on 8 partitions per run,\n"+
		"a fresh broker per run, medians of %d runs; a ratio is the median of the runs' ratios, each between clients measured\n"+
		"one after the other in that run. `CPU vs kgo` is kgo's CPU per message over the client's: the ratio of their rates\n"+
		"when the CPU is the limit, steadier from run to run than the rates, which also move with the scheduling. The broker writes to its page cache and fsyncs on segment roll\n"+
		"(kfake's default, like Kafka's). CPU is the process's user+system time per 1,000 messages, client and broker\n"+
		"together (both run in the benchmark process), as are the heap allocations per message. `newsflow` is our watermill adapter used through the watermill\n"+
		"router (one handler call per message); `-batched` variants use the same adapter in a loop that publishes up to\n"+
		"2,000 gathered messages in one Publish call, four calls at a time. watermill-kafka is measured through the\n"+
		"router only: its subscriber hands out one message per partition until it is acknowledged, so a batching loop\n"+
		"gathers at most one message per partition per tick (about 1,600 msg/s here). `router-alone` is the watermill router\n"+
		"with the same handler between a subscriber that hands out messages from memory and a publisher that drops them:\n"+
		"what any watermill adapter costs before its transport does anything.\n\n", msgs, runs)
	b.WriteString(transportTable(ts))
	return b.String()
}

// runRatio is the median over runs of client's rate over base's in the
// same run: the clients of a run are measured one after the other, so a
// run's ratio is not moved by how fast the shared host was during another.
func runRatio(ts []transport, mode, client, base string) (float64, bool) {
	return perRun(ts, mode, client, base, func(c, b transport) float64 { return c.PerSecond() / b.PerSecond() })
}

// cpuRatio is, the same way, base's CPU per message over client's: the
// ratio of their rates when the CPU is the limit.
func cpuRatio(ts []transport, mode, client, base string) (float64, bool) {
	return perRun(ts, mode, client, base, func(c, b transport) float64 { return b.CPUPer1000() / c.CPUPer1000() })
}

func perRun(ts []transport, mode, client, base string, ratio func(c, b transport) float64) (float64, bool) {
	if client == base {
		return 1, true
	}
	byRun := map[int]map[string]transport{}
	for _, t := range ts {
		if t.Mode == mode && (t.Client == client || t.Client == base) {
			if byRun[t.Run] == nil {
				byRun[t.Run] = map[string]transport{}
			}
			byRun[t.Run][t.Client] = t
		}
	}
	var ratios []float64
	for _, r := range byRun {
		c, okC := r[client]
		b, okB := r[base]
		if okC && okB {
			ratios = append(ratios, ratio(c, b))
		}
	}
	return median(ratios), len(ratios) > 0
}

// transportTable is one table of medians, with the ratios to kgo and to
// watermill-kafka through the router as medians of each run's ratio.
func transportTable(ts []transport) string {
	m, modes, clients := medians(ts)
	var b strings.Builder
	b.WriteString("| mode | client | msg/s | CPU-ms / 1,000 msgs | heap allocations / msg | vs kgo | CPU vs kgo | vs watermill-kafka |\n|---|---|---|---|---|---|---|---|\n")
	for _, mode := range modes {
		for _, c := range clients {
			a, ok := m[[2]string{mode, c}]
			if !ok {
				continue
			}
			vk, ck, vw := "", "", ""
			if r, ok := runRatio(ts, mode, c, "kgo"); ok {
				vk = fmt.Sprintf("%.2f", r)
			}
			if r, ok := cpuRatio(ts, mode, c, "kgo"); ok {
				ck = fmt.Sprintf("%.2f", r)
			}
			if r, ok := runRatio(ts, mode, c, "watermill-kafka"); ok && c != "kgo" {
				vw = fmt.Sprintf("%.2f", r)
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.1f | %.1f | %s | %s | %s |\n", mode, c, a.rate, a.cpu, a.allocs, vk, ck, vw)
		}
	}
	b.WriteString(unsteady(ts))
	return b.String()
}

// unsteady names the rows whose runs' rates differ by more than half: a
// host that slowed for part of the suite moves such a row, and its ratios
// with it, so the reader should rerun before trusting them.
func unsteady(ts []transport) string {
	lo, hi := map[[2]string]float64{}, map[[2]string]float64{}
	var keys [][2]string
	for _, t := range ts {
		k, r := [2]string{t.Mode, t.Client}, t.PerSecond()
		if _, seen := lo[k]; !seen {
			keys = append(keys, k)
			lo[k], hi[k] = r, r
		}
		lo[k], hi[k] = min(lo[k], r), max(hi[k], r)
	}
	var rows []string
	for _, k := range keys {
		if lo[k] > 0 && hi[k]/lo[k] > 1.5 {
			rows = append(rows, fmt.Sprintf("%s %s %.0f to %.0f msg/s", k[1], k[0], lo[k], hi[k]))
		}
	}
	if len(rows) == 0 {
		return ""
	}
	return "\n**Unsteady runs:** " + strings.Join(rows, "; ") + ". Their runs differ by more than half, more than " +
		"scheduling moves a run here: the host changed speed during the suite. Rerun before trusting these rows' ratios.\n"
}

// scaleSection reports enrichment scaling, the rebalance pause and replay.
func scaleSection(path string) string {
	var rs []benchresult.Scale
	if readJSON(path, &rs) != nil || len(rs) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Scaling enrichment and replaying\n\nEnrichment only (all four taggers unless noted), over the same pre-filled raw topic; the clock starts when the\nworkers start, so group joins are included.\n\n")
	b.WriteString("| configuration | articles | seconds | articles/s | longest pause after a join |\n|---|---|---|---|---|\n")
	for _, r := range rs {
		pause := ""
		if r.Pause > 0 {
			pause = fmt.Sprintf("%.2f s", r.Pause)
		}
		fmt.Fprintf(&b, "| %s | %d | %.1f | %.0f | %s |\n", r.Name, r.Articles, r.Seconds, r.Rate, pause)
	}
	if len(rs) >= 2 && rs[0].Rate > 0 {
		fmt.Fprintf(&b, "\nScaling ratio, two workers on a core each against one: **%.2f**.\n", rs[1].Rate/rs[0].Rate)
	}
	return b.String() + "\n"
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+)\s+(\d+)\s+(.*)$`)

// goBenchSection lists the Go benchmarks of the hot paths.
func goBenchSection(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var b strings.Builder
	b.WriteString("## Hot paths (go test -bench, one core)\n\n| package | benchmark | result |\n|---|---|---|\n")
	pkg := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "pkg: ") {
			pkg = strings.TrimPrefix(l, "pkg: github.com/newsflow/newsflow/")
		}
		if m := benchLine.FindStringSubmatch(l); m != nil {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", pkg, m[1], strings.Join(strings.Fields(m[3]), " "))
		}
	}
	return b.String() + "\n"
}

var (
	timingLine = regexp.MustCompile(`^tagger (\S+)\s+(\S+) total\s+(\S+)/article\s+([\d.]+)%`)
	rssLine    = regexp.MustCompile(`^maxrss_kb (\d+)`)
	wallLine   = regexp.MustCompile(`^articles (\d+) words (\d+) seconds ([\d.]+)`)
)

// slowestTagger is the tagger with the largest share of enrichment time.
type slowestTagger struct {
	name  string
	share float64 // percent
}

// enrichSection reports `enrich tag -timings` over the benchmark articles,
// and which tagger took the largest share.
func enrichSection(dir string) (string, slowestTagger, float64) {
	var slowest slowestTagger
	data, err := os.ReadFile(filepath.Join(dir, "enrich-tag.txt"))
	if err != nil {
		return "", slowest, 0
	}
	var b strings.Builder
	b.WriteString("## Enrichment\n\n`bin/enrich tag -workers 1 -timings -warmup articles.jsonl` over the benchmark's generated articles (one core, all four taggers; " +
		"the same articles are tagged once before the clock starts, so the models that load on first use of a language are loaded: the steady state of a running service):\n\n")
	var rows []string
	var rss, articles, words int
	var secs, rate float64
	for _, l := range strings.Split(string(data), "\n") {
		if m := timingLine.FindStringSubmatch(l); m != nil {
			rows = append(rows, fmt.Sprintf("| %s | %s | %s%% |", m[1], m[3], m[4]))
			if f, _ := strconv.ParseFloat(m[4], 64); f > slowest.share {
				slowest = slowestTagger{m[1], f}
			}
		}
		if m := rssLine.FindStringSubmatch(l); m != nil {
			rss, _ = strconv.Atoi(m[1])
		}
		if m := wallLine.FindStringSubmatch(l); m != nil {
			articles, _ = strconv.Atoi(m[1])
			words, _ = strconv.Atoi(m[2])
			secs, _ = strconv.ParseFloat(m[3], 64)
		}
	}
	if articles > 0 && secs > 0 {
		rate = float64(articles) / secs
		fmt.Fprintf(&b, "- %d articles (%d words each on average) in %.1f s on one core: **%.0f articles/s, %.0f words/s**\n",
			articles, words/max(articles, 1), secs, rate, float64(words)/secs)
	}
	if rss > 0 {
		fmt.Fprintf(&b, "- peak resident memory of the process: %.0f MB\n", float64(rss)/1024)
	}
	b.WriteString("\n| tagger | time per article | share |\n|---|---|---|\n")
	b.WriteString(strings.Join(rows, "\n") + "\n\n")
	return b.String(), slowest, rate
}

// targetsSection holds this run's figures against the targets the suite
// was built for (issue 11): one row per target, with what was measured and
// whether it holds. A figure the run did not produce is left out.
func targetsSection(ts []transport, enrichRate float64, runs map[string]pipe, lat pipe) string {
	var rows []string
	row := func(target, figure string, met bool) {
		rows = append(rows, fmt.Sprintf("| %s | %s | %s |", target, figure, map[bool]string{true: "yes", false: "**no**"}[met]))
	}
	for _, c := range []struct{ client, how string }{{"newsflow-batched", "batched"}, {"newsflow", "through the router"}} {
		if r, ok := runRatio(ts, "passthrough", c.client, "kgo"); ok {
			row("transport pass-through, our adapter "+c.how+", at least 0.6 of kgo's rate", fmt.Sprintf("%.2f", r), r >= 0.6)
		}
		if r, ok := runRatio(ts, "passthrough", c.client, "watermill-kafka"); ok {
			row("transport pass-through, our adapter "+c.how+", at least 3 times watermill-kafka's rate", fmt.Sprintf("%.2f times", r), r >= 3)
		}
	}
	if enrichRate > 0 {
		row("enrichment, all four taggers, at least 300 articles/s per core", fmt.Sprintf("%.0f articles/s", enrichRate), enrichRate >= 300)
	}
	if p, ok := runs["e2e-full-sqlite"]; ok {
		row("end to end into SQLite with all four taggers, at least 400 articles/s", fmt.Sprintf("%.0f articles/s", p.Rate), p.Rate >= 400)
	}
	if p, ok := runs["e2e-passthrough"]; ok {
		row("end to end into SQLite with enrichment reduced to pass-through, at least 5,000 articles/s", fmt.Sprintf("%.0f articles/s", p.Rate), p.Rate >= 5000)
	}
	if len(lat.Latencies) > 0 {
		row(fmt.Sprintf("end-to-end latency p99 under 1 s at %.0f articles/s offered", lat.OfferedRate), fmt.Sprintf("%.3f s", lat.P99), lat.P99 < 1)
	}
	if len(rows) == 0 {
		return ""
	}
	var ceiling string
	m, _, _ := medians(ts)
	a, okA := m[[2]string{"passthrough", "router-alone"}]
	k, okK := m[[2]string{"passthrough", "kgo"}]
	if okA && okK {
		ceiling = fmt.Sprintf("Through the router, the router's own work bounds any adapter: with a transport exactly as cheap as kgo's, "+
			"a router pass-through would reach %.2f of kgo's rate when the CPU is the limit (see \"Where to optimise next\"). "+
			"The batched rows are the adapter's own cost.\n\n", k.cpu/(k.cpu+a.cpu))
	}
	return "## Targets\n\nThis run's figures against the targets the suite was built for (each explained in its section below; " +
		"the rates move with the host, the ratios much less):\n\n| target | this run | met |\n|---|---|---|\n" + strings.Join(rows, "\n") + "\n\n" + ceiling
}

// nextSection says, from this run's figures, which stage limits the
// pipeline and what the transport's per-message path costs.
func nextSection(runs map[string]pipe, slowest slowestTagger, ts []transport) string {
	var lines []string
	full, okF := runs["e2e-full-sqlite"]
	pass, okP := runs["e2e-passthrough"]
	if okF && okP && full.Rate > 0 {
		lines = append(lines, fmt.Sprintf("- **Enrichment limits the pipeline**: end to end with all four taggers %.0f articles/s, with enrichment reduced to "+
			"pass-through %.0f (%.0f times as fast); transport and sink are not where an article's time goes.", full.Rate, pass.Rate, pass.Rate/full.Rate))
	}
	if okF && len(full.CPU) > 0 {
		total := 0.0
		for _, v := range full.CPU {
			total += v
		}
		share := func(k string) float64 { return 100 * full.CPU[k] / total }
		lines = append(lines, fmt.Sprintf("- **Where an article's CPU goes** end to end into SQLite with all taggers: %.1f ms in all, "+
			"enrich %.0f %%, sink %.0f %%, broker %.0f %%, ingest %.0f %%.", total, share("enrich"), share("sink"), share("broker"), share("ingest")))
	}
	var sinks []string
	for _, name := range []string{"e2e-passthrough", "e2e-passthrough-postgres", "e2e-passthrough-jsonl"} {
		if p, ok := runs[name]; ok && p.CPU != nil {
			sinks = append(sinks, fmt.Sprintf("%s %.2f ms (%.0f articles/s)", strings.Join(p.Targets, ", "), p.CPU["sink"], p.Rate))
		}
	}
	if len(sinks) > 1 {
		lines = append(lines, "- **What each sink costs**, in pass-through with one sink at a time: sink CPU per article "+strings.Join(sinks, ", ")+".")
	}
	if slowest.name != "" {
		lines = append(lines, fmt.Sprintf("- **Within enrichment, the %s tagger** takes %.0f %% of an article's time (table above); it is the one to make faster.", slowest.name, slowest.share))
	}
	if len(ts) > 0 {
		m, _, _ := medians(ts)
		r, okR := m[[2]string{"passthrough", "newsflow"}]
		bt, okB := m[[2]string{"passthrough", "newsflow-batched"}]
		k, okK := m[[2]string{"passthrough", "kgo"}]
		if okR && okB && okK {
			lines = append(lines, fmt.Sprintf("- **In the transport**, the same adapter costs %.1f CPU-ms per 1,000 messages through the watermill router and %.1f "+
				"when a loop publishes gathered batches: the router's goroutine, context and synchronous Publish per message are the "+
				"difference. kgo needs %.1f, client and broker together. What remains is mostly in producing: kafka-go's writer sends one "+
				"produce request per partition batch where kgo sends one per broker with every partition's batch, and the broker writes "+
				"more, smaller batches to disk; and per message, the adapter builds a watermill message and waits for its acknowledgement.", r.cpu, bt.cpu, k.cpu))
		}
		if a, ok := m[[2]string{"passthrough", "router-alone"}]; ok && okK && okR {
			lines = append(lines, fmt.Sprintf("- **The watermill router alone** costs %.1f CPU-ms per 1,000 messages (%.0f %% of kgo's whole pass-through, "+
				"%.0f %% of ours) and %.0f heap allocations per message: with a transport exactly as cheap as kgo, client and broker together, a "+
				"router pass-through would still need %.1f CPU-ms, %.2f of kgo's rate when the CPU is the limit.",
				a.cpu, 100*a.cpu/k.cpu, 100*a.cpu/r.cpu, a.allocs, k.cpu+a.cpu, k.cpu/(k.cpu+a.cpu)))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "## Where to optimise next\n\nRead from this run's figures:\n\n" + strings.Join(lines, "\n") + "\n\n"
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// transportSVG draws grouped bars: messages per second per mode and client.
func transportSVG(ts []transport) string {
	m, modes, clients := medians(ts)
	sort.Strings(clients)
	maxRate := 0.0
	for _, a := range m {
		maxRate = math.Max(maxRate, a.rate)
	}
	const w, h, left, bottom, top = 760, 340, 70, 60, 30
	colors := []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, w, h)
	fmt.Fprintf(&s, `<text x="%d" y="18" font-size="14">Transport throughput (median msg/s)</text>`, left)
	plotH := float64(h - bottom - top)
	groupW := float64(w-left-20) / float64(len(modes))
	barW := groupW * 0.8 / float64(len(clients))
	for i := 0; i <= 4; i++ {
		v := maxRate * float64(i) / 4
		y := float64(h-bottom) - plotH*float64(i)/4
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%.0f" y2="%.0f" stroke="#ddd"/><text x="%d" y="%.0f" text-anchor="end">%.0fk</text>`, left, w-20, y, y, left-6, y+4, v/1000)
	}
	for gi, mode := range modes {
		x0 := float64(left) + groupW*float64(gi) + groupW*0.1
		for ci, c := range clients {
			a, ok := m[[2]string{mode, c}]
			if !ok {
				continue
			}
			bh := plotH * a.rate / maxRate
			x := x0 + barW*float64(ci)
			fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.0f msg/s</title></rect>`,
				x, float64(h-bottom)-bh, barW-2, bh, colors[ci%len(colors)], mode, c, a.rate)
		}
		fmt.Fprintf(&s, `<text x="%.0f" y="%d" text-anchor="middle">%s</text>`, x0+groupW*0.4, h-bottom+16, mode)
	}
	for ci, c := range clients {
		x := left + ci*140
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`, x, h-22, colors[ci%len(colors)], x+14, h-13, c)
	}
	s.WriteString("</svg>\n")
	return s.String()
}

// stagesSVG plots, for one end-to-end run, how many articles each stage
// handles per CPU-second (1,000 over its CPU-ms per article) on a log
// scale, with the run's end-to-end rate as a line: the shortest bar is the
// stage to make cheaper.
func stagesSVG(p pipe) string {
	stages := []string{"ingest", "enrich", "sink", "broker"}
	const w, h, left, right, top, rowH = 760, 250, 90, 30, 40, 36
	lo, hi := 1.0, 6.0 // log10 of 10 and 1,000,000 articles per CPU-second
	x := func(v float64) float64 {
		f := (math.Log10(math.Max(v, 10)) - lo) / (hi - lo)
		return float64(left) + f*float64(w-left-right)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, w, h)
	fmt.Fprintf(&s, `<text x="%d" y="18" font-size="14">Articles per CPU-second by stage (%s, taggers %s; log scale)</text>`, left, strings.Join(p.Targets, ", "), p.Taggers)
	bottom := top + rowH*len(stages)
	for e := lo; e <= hi; e++ {
		v := math.Pow(10, e)
		fmt.Fprintf(&s, `<line x1="%.0f" x2="%.0f" y1="%d" y2="%d" stroke="#ddd"/><text x="%.0f" y="%d" text-anchor="middle">%s</text>`,
			x(v), x(v), top-6, bottom, x(v), bottom+16, humanCount(v))
	}
	for i, st := range stages {
		ms := p.CPU[st]
		if ms <= 0 {
			continue
		}
		perSec := 1000 / ms
		y := top + rowH*i
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, y+rowH/2+4, st)
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#1f77b4"><title>%s: %.3f CPU-ms per article</title></rect>`,
			left, y+6, x(perSec)-float64(left), rowH-12, st, ms)
		fmt.Fprintf(&s, `<text x="%.1f" y="%d">%s/s</text>`, x(perSec)+4, y+rowH/2+4, humanCount(perSec))
	}
	fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#d62728" stroke-width="2"/>`, x(p.Rate), x(p.Rate), top-6, bottom)
	fmt.Fprintf(&s, `<text x="%.1f" y="%d" fill="#d62728">end to end %s/s</text>`, x(p.Rate)+4, bottom+34, humanCount(p.Rate))
	s.WriteString("</svg>\n")
	return s.String()
}

// humanCount writes 1,234 as 1.2k and 1,234,567 as 1.2M.
func humanCount(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

// latencySVG draws the cumulative distribution of end-to-end latency.
func latencySVG(p pipe) string {
	const w, h, left, bottom, top = 760, 320, 70, 45, 30
	lat := slices.Clone(p.Latencies)
	slices.Sort(lat)
	maxL := lat[len(lat)-1]
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`, w, h)
	fmt.Fprintf(&s, `<text x="%d" y="18" font-size="14">End-to-end latency at %.0f articles/s offered (cumulative share of articles)</text>`, left, p.OfferedRate)
	plotW, plotH := float64(w-left-20), float64(h-bottom-top)
	for i := 0; i <= 4; i++ {
		y := float64(h-bottom) - plotH*float64(i)/4
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%.0f" y2="%.0f" stroke="#ddd"/><text x="%d" y="%.0f" text-anchor="end">%d%%</text>`, left, w-20, y, y, left-6, y+4, i*25)
		x := float64(left) + plotW*float64(i)/4
		fmt.Fprintf(&s, `<text x="%.0f" y="%d" text-anchor="middle">%.2fs</text>`, x, h-bottom+16, maxL*float64(i)/4)
	}
	var pts []string
	for i, l := range lat {
		x := float64(left) + plotW*l/maxL
		y := float64(h-bottom) - plotH*float64(i+1)/float64(len(lat))
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	fmt.Fprintf(&s, `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="%s"/>`, strings.Join(pts, " "))
	for _, q := range []struct {
		name string
		v    float64
	}{{"p50", p.P50}, {"p99", p.P99}} {
		x := float64(left) + plotW*q.v/maxL
		fmt.Fprintf(&s, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#d62728" stroke-dasharray="4"/><text x="%.1f" y="%d" fill="#d62728">%s %.3fs</text>`,
			x, x, top, h-bottom, x+4, top+12, q.name, q.v)
	}
	s.WriteString("</svg>\n")
	return s.String()
}
