package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/newsflow/newsflow/cmd/newsflow/internal/status"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

const devSynopsis = `newsflow dev: run the whole pipeline on one machine until Ctrl-C.

It starts the embedded broker (data kept in the data directory), the enrich
and sink services as separate processes, and ingest over the sample folders,
then shows progress. Service logs go to <data>/log/.`

// child is a service process the dev stack runs.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("newsflow dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, devSynopsis) }
	addr := fs.String("broker-addr", "127.0.0.1:9092", "address of the embedded broker")
	data := fs.String("data", "./var", "data directory: broker data, database, output files and logs")
	bin := fs.String("bin", "./bin", "directory holding the ingest, enrich and sink binaries")
	samples := []string{"../shared/samples", "./samples"}
	config.ListVar(fs, &samples, "samples", "folders or files to ingest at start (missing ones are skipped)")
	var targets []string
	config.ListVar(fs, &targets, "to", "sink targets (default: sqlite:<data>/newsflow.db and jsonl:<data>/out)")
	partitions := fs.Int("partitions", broker.DefaultPartitions, "partitions of the newsflow topics")
	interval := fs.Duration("progress", time.Second, "how often progress is shown")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	if len(targets) == 0 {
		targets = []string{"sqlite:" + filepath.Join(*data, "newsflow.db"), "jsonl:" + filepath.Join(*data, "out")}
	}
	logDir := filepath.Join(*data, "log")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	for _, name := range []string{"ingest", "enrich", "sink"} {
		if _, err := os.Stat(filepath.Join(*bin, name)); err != nil {
			return fmt.Errorf("%s binary not found in %s (run make build): %w", name, *bin, err)
		}
	}

	b, err := broker.Start(broker.Config{Addr: *addr, DataDir: filepath.Join(*data, "kafka"), Partitions: *partitions})
	if err != nil {
		return fmt.Errorf("%w (is another newsflow dev or Kafka already on %s?)", err, *addr)
	}
	defer b.Close()
	fmt.Fprintf(stdout, "broker   embedded, listening on %s, data in %s\n", b.Addr(), filepath.Join(*data, "kafka"))

	env := append(os.Environ(),
		"NEWSFLOW_KAFKA_BROKERS="+b.Addr(),
		"NEWSFLOW_LOG_FORMAT=json",
	)
	start := func(name string, args ...string) (*child, error) {
		logPath := filepath.Join(logDir, name+".log")
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(filepath.Join(*bin, name), args...)
		cmd.Env = env
		cmd.Stderr = f
		cmd.Stdout = f
		// Own process group: Ctrl-C reaches only us, and we stop the
		// services in order, before the broker.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			f.Close()
			return nil, fmt.Errorf("starting %s: %w", name, err)
		}
		c := &child{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
		go func() { c.done <- cmd.Wait(); f.Close() }()
		return c, nil
	}

	var services []*child
	stopAll := func() {
		for _, c := range services {
			_ = c.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range services {
			select {
			case err := <-c.done:
				c.done <- err // keep the exit status for whoever reads next
			case <-time.After(30 * time.Second):
				fmt.Fprintf(stderr, "%s did not stop in 30 s; killing it\n", c.name)
				_ = c.cmd.Process.Kill()
				c.done <- <-c.done
			}
		}
	}
	enrich, err := start("enrich")
	if err != nil {
		return err
	}
	services = append(services, enrich)
	sinkArgs := []string{}
	for _, t := range targets {
		sinkArgs = append(sinkArgs, "-to", t)
	}
	sink, err := start("sink", sinkArgs...)
	if err != nil {
		stopAll()
		return err
	}
	services = append(services, sink)
	fmt.Fprintf(stdout, "enrich   running (pid %d), log %s\n", enrich.cmd.Process.Pid, enrich.log)
	fmt.Fprintf(stdout, "sink     running (pid %d) -> %s, log %s\n", sink.cmd.Process.Pid, strings.Join(targets, ", "), sink.log)

	var inputs []string
	for _, s := range samples {
		if _, err := os.Stat(s); err == nil {
			inputs = append(inputs, s)
		}
	}
	var ingestDone <-chan error
	if len(inputs) > 0 {
		ing, err := startIngest(*bin, env, logDir, inputs, stdout)
		if err != nil {
			stopAll()
			return err
		}
		ingestDone = ing
		fmt.Fprintf(stdout, "ingest   reading %s\n", strings.Join(inputs, ", "))
	}

	admin, err := kafka.NewAdmin(kafka.ConnConfig{Brokers: b.Brokers(), ClientID: "newsflow-dev"})
	if err != nil {
		stopAll()
		return err
	}
	tty := false
	if f, ok := stdout.(*os.File); ok {
		tty = isatty.IsTerminal(f.Fd())
	}
	fmt.Fprintln(stdout, "Ctrl-C stops everything.")
	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	var last string
	var runErr error
	announced := false
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case err := <-ingestDone:
			ingestDone = nil
			if err != nil {
				fmt.Fprintf(stdout, "\ningest failed: %v (see %s)\n", err, filepath.Join(logDir, "ingest.log"))
			}
		case err := <-enrich.done:
			runErr = fmt.Errorf("enrich exited: %w; see %s", err, enrich.log)
			enrich.done <- err
			break loop
		case err := <-sink.done:
			runErr = fmt.Errorf("sink exited: %w; see %s", err, sink.log)
			sink.done <- err
			break loop
		case <-ticker.C:
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			snap, err := status.Take(qctx, admin)
			cancel()
			if err != nil {
				continue
			}
			line := snap.Line()
			if tty {
				fmt.Fprintf(stdout, "\r\033[K%s  %s", time.Now().Format(time.TimeOnly), line)
			} else if line != last {
				fmt.Fprintf(stdout, "%s  %s\n", time.Now().Format(time.TimeOnly), line)
			}
			last = line
			if snap.CaughtUp() && ingestDone == nil && !announced {
				announced = true
				fmt.Fprintf(stdout, "\nall caught up: output in %s; services keep running for new input\n", strings.Join(targets, ", "))
			}
		}
	}
	fmt.Fprintln(stdout, "\nstopping services...")
	stopAll()
	fmt.Fprintln(stdout, "stopped; data kept in", *data)
	return runErr
}

// startIngest runs ingest once over the inputs, printing its report.
func startIngest(bin string, env []string, logDir string, inputs []string, stdout io.Writer) (<-chan error, error) {
	logPath := filepath.Join(logDir, "ingest.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	var out strings.Builder
	var mu sync.Mutex
	cmd := exec.Command(filepath.Join(bin, "ingest"), inputs...)
	cmd.Env = env
	cmd.Stderr = f
	cmd.Stdout = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting ingest: %w", err)
	}
	done := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		f.Close()
		mu.Lock()
		report := strings.TrimSpace(out.String())
		mu.Unlock()
		if report != "" {
			fmt.Fprintf(stdout, "\n%s\n", report)
		}
		if err != nil {
			err = errors.Join(err, errors.New("see "+logPath))
		}
		done <- err
	}()
	return done, nil
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }
