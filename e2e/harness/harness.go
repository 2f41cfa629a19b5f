// Package harness runs the newsflow services as separate processes against
// an embedded broker, for end-to-end tests, fault injection and benchmarks.
package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Services are the binaries the harness runs.
var Services = []string{"ingest", "enrich", "sink"}

// Build compiles the service binaries and the newsflow CLI into dir (the Go
// build cache makes repeated builds cheap).
func Build(dir string) error {
	pkgs := map[string]string{"newsflow": "github.com/newsflow/newsflow/cmd/newsflow"}
	for _, svc := range Services {
		pkgs[svc] = "github.com/newsflow/newsflow/services/" + svc
	}
	for svc, pkg := range pkgs {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, svc), pkg)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %w\n%s", svc, err, stderr.String())
		}
	}
	return nil
}

// Stack is a broker and the service processes running against it.
type Stack struct {
	Dir    string         // working directory of the stack
	Bin    string         // directory of the service binaries
	Broker *broker.Broker // the in-process broker; nil when it runs as a process
	Admin  *kafka.Admin
	Conn   kafka.ConnConfig
	Env    []string // extra environment for every service

	brokerCfg  broker.Config
	brokerAddr string
	brokerProc *Proc // the broker process, when it runs as one
	mu         sync.Mutex
	procs      map[string]*Proc
}

// Addr is the broker's address.
func (s *Stack) Addr() string { return s.brokerAddr }

// Proc is a running service.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

// CPU returns the user and system CPU time the running process has used
// so far (read from /proc: Linux only).
func (p *Proc) CPU() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which may hold spaces, start with
	// the state (field 3); utime and stime are fields 14 and 15, in clock
	// ticks of 1/100 s on Linux.
	i := bytes.LastIndexByte(data, ')')
	var f []string
	if i >= 0 {
		f = strings.Fields(string(data[i+1:]))
	}
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", p.Cmd.Process.Pid)
	}
	var ticks int64
	for _, v := range f[11:13] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", p.Cmd.Process.Pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// Log returns what the process wrote so far.
func (p *Proc) Log() string { return p.log.String() }

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// Start starts a broker in dir/kafka and returns the stack around it. The
// stack's own admin client connects as conn says, with the broker's address
// filled in (for a broker that wants TLS and credentials).
func Start(dir, bin string, cfg broker.Config, conn ...kafka.ConnConfig) (*Stack, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(dir, "kafka")
	}
	b, err := broker.Start(cfg)
	if err != nil {
		return nil, err
	}
	cfg.Addr = b.Addr() // restarts keep the port
	c := kafka.ConnConfig{}
	if len(conn) > 0 {
		c = conn[0]
	}
	c.Brokers = b.Brokers()
	admin, err := kafka.NewAdmin(c)
	if err != nil {
		b.Close()
		return nil, err
	}
	return &Stack{Dir: dir, Bin: bin, Broker: b, Admin: admin, Conn: c, brokerCfg: cfg, brokerAddr: b.Addr(), procs: map[string]*Proc{}}, nil
}

// StartBrokerProcess starts the stack with the embedded broker running as
// its own process (bin/newsflow broker) with synchronous writes, so it can
// be killed with SIGKILL and restarted on the same data directory.
func StartBrokerProcess(dir, bin string) (*Stack, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	s := &Stack{Dir: dir, Bin: bin, brokerAddr: addr, Conn: kafka.ConnConfig{Brokers: []string{addr}}, procs: map[string]*Proc{}}
	s.brokerCfg = broker.Config{Addr: addr, DataDir: filepath.Join(dir, "kafka"), SyncWrites: true}
	if err := s.startBrokerProcess(); err != nil {
		return nil, err
	}
	if s.Admin, err = kafka.NewAdmin(s.Conn); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Admin.WaitForBroker(ctx, nil); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stack) startBrokerProcess() error {
	cmd := exec.Command(filepath.Join(s.Bin, "newsflow"), "broker", "-broker-addr", s.brokerCfg.Addr,
		"-broker-data", s.brokerCfg.DataDir, "-broker-sync-writes", "-log-format", "json")
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the broker: %w", err)
	}
	p := &Proc{Name: "broker", Cmd: cmd, log: log, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	s.brokerProc = p
	// Wait until it listens.
	for range 100 {
		if c, err := net.DialTimeout("tcp", s.brokerCfg.Addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		if done, err := p.Exited(); done {
			return fmt.Errorf("the broker exited: %w\n%s", err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the broker did not start listening")
}

// KillBroker kills the broker process with SIGKILL: no clean shutdown, no
// final flush.
func (s *Stack) KillBroker() error {
	if s.brokerProc == nil {
		return errors.New("the broker does not run as a process")
	}
	_ = s.brokerProc.Cmd.Process.Kill()
	err := <-s.brokerProc.done
	s.brokerProc.done <- err
	return nil
}

// KillBrokerGracefully stops the broker process with SIGTERM.
func (s *Stack) KillBrokerGracefully() error {
	if s.brokerProc == nil {
		return errors.New("the broker does not run as a process")
	}
	_ = s.brokerProc.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.brokerProc.done:
		s.brokerProc.done <- err
		return nil
	case <-time.After(30 * time.Second):
		return errors.New("the broker did not stop within 30 s of SIGTERM")
	}
}

// StartBroker starts the broker process again on the same port and data.
func (s *Stack) StartBroker() error { return s.startBrokerProcess() }

// RestartBroker closes the in-process broker and starts it again on the
// same port and data directory, after pause.
func (s *Stack) RestartBroker(pause time.Duration) error {
	if s.Broker == nil {
		return errors.New("the broker runs as a process: use KillBroker and StartBroker")
	}
	s.Broker.Close()
	time.Sleep(pause)
	b, err := broker.Start(s.brokerCfg)
	if err != nil {
		return err
	}
	s.Broker = b
	return nil
}

// Close stops every process and the broker.
func (s *Stack) Close() {
	s.StopAll(45 * time.Second)
	if s.Broker != nil {
		s.Broker.Close()
	}
	if s.brokerProc != nil {
		if done, _ := s.brokerProc.Exited(); !done {
			_ = s.brokerProc.Cmd.Process.Signal(syscall.SIGTERM)
			<-s.brokerProc.done
		}
	}
}

// Logs returns the tail of every process log, for failure reports.
func (s *Stack) Logs(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.procs))
	for name := range s.procs {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		l := s.procs[name].Log()
		if len(l) > n {
			l = l[len(l)-n:]
		}
		fmt.Fprintf(&b, "---- %s ----\n%s\n", name, l)
	}
	return b.String()
}

func (s *Stack) command(bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.Bin, bin), args...)
	cmd.Env = append(append(os.Environ(), "NEWSFLOW_KAFKA_BROKERS="+s.brokerAddr, "NEWSFLOW_LOG_FORMAT=json", "NEWSFLOW_HTTP_ADDR=127.0.0.1:0"), s.Env...)
	return cmd
}

// StartService runs a service binary under a name (several enrich workers
// need distinct names).
func (s *Stack) StartService(name, bin string, args ...string) (*Proc, error) {
	return s.StartServiceEnv(name, bin, nil, args...)
}

// StartServiceEnv is StartService with extra environment for this process.
func (s *Stack) StartServiceEnv(name, bin string, env []string, args ...string) (*Proc, error) {
	cmd := s.command(bin, args...)
	cmd.Env = append(cmd.Env, env...)
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, log: log, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	s.mu.Lock()
	s.procs[name] = p
	s.mu.Unlock()
	return p, nil
}

// Proc returns a started process by name.
func (s *Stack) Proc(name string) *Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.procs[name]
}

// Signal sends sig to a process.
func (s *Stack) Signal(name string, sig syscall.Signal) error {
	p := s.Proc(name)
	if p == nil {
		return fmt.Errorf("no process %s", name)
	}
	return p.Cmd.Process.Signal(sig)
}

// Stop sends SIGTERM and waits up to timeout for the process to exit.
func (s *Stack) Stop(name string, timeout time.Duration) error {
	p := s.Proc(name)
	if p == nil {
		return nil
	}
	if done, err := p.Exited(); done {
		return err
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(timeout):
		_ = p.Cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within %s of SIGTERM", name, timeout)
	}
}

// Kill sends SIGKILL and waits for the process to go.
func (s *Stack) Kill(name string) {
	p := s.Proc(name)
	if p == nil {
		return
	}
	_ = p.Cmd.Process.Kill()
	err := <-p.done
	p.done <- err
}

// StopAll stops every process.
func (s *Stack) StopAll(timeout time.Duration) {
	s.mu.Lock()
	names := make([]string, 0, len(s.procs))
	for name := range s.procs {
		names = append(names, name)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.Stop(n, timeout) }()
	}
	wg.Wait()
}

// Ingest runs ingest to completion and returns its report.
func (s *Stack) Ingest(args ...string) (string, error) { return s.Run("ingest", args...) }

// Run runs a binary (a service's subcommand or the newsflow CLI) to
// completion and returns its standard output.
func (s *Stack) Run(bin string, args ...string) (string, error) {
	return s.RunEnv(bin, nil, args...)
}

// RunEnv is Run with extra environment.
func (s *Stack) RunEnv(bin string, env []string, args ...string) (string, error) {
	cmd := s.command(bin, args...)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %w\n%s\n%s", bin, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// Progress is the pipeline's state while waiting.
type Progress struct {
	Ends map[string]int64 // end offsets summed per topic
	Lags map[string]int64 // lag summed per group
}

func (p Progress) String() string {
	var parts []string
	for t, n := range p.Ends {
		parts = append(parts, fmt.Sprintf("%s=%d", t, n))
	}
	for g, n := range p.Lags {
		parts = append(parts, fmt.Sprintf("%s lag %d", g, n))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// Measure reads end offsets of topics and lags of groups (group -> topic).
func (s *Stack) Measure(ctx context.Context, topics []string, groups map[string]string) (Progress, error) {
	p := Progress{Ends: map[string]int64{}, Lags: map[string]int64{}}
	for _, t := range topics {
		offs, err := s.Admin.TopicOffsets(ctx, t)
		if err != nil {
			return p, err
		}
		for _, o := range offs {
			p.Ends[t] += o.End
		}
	}
	for g, t := range groups {
		lags, err := s.Admin.Lag(ctx, g, t)
		if err != nil {
			return p, err
		}
		for _, l := range lags {
			p.Lags[g] += l.Lag
		}
	}
	return p, nil
}

// WaitCaughtUp waits until each topic holds at least min messages and every
// group has committed to the end of its topic.
func (s *Stack) WaitCaughtUp(ctx context.Context, min map[string]int64, groups map[string]string) error {
	topics := make([]string, 0, len(min))
	for t := range min {
		topics = append(topics, t)
	}
	var last Progress
	for {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		p, err := s.Measure(qctx, topics, groups)
		cancel()
		if err == nil {
			last = p
			ok := true
			for t, n := range min {
				if p.Ends[t] < n {
					ok = false
				}
			}
			for _, l := range p.Lags {
				if l > 0 {
					ok = false
				}
			}
			if ok {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pipeline did not catch up: %s", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitGroupStable waits until group is Stable with members members.
//
// The embedded broker (kfake) has a flaw real Kafka does not: a member that
// dies while its JoinGroup reply is pending gets no session timer, so it is
// never evicted and its partitions stall. Tests that kill workers wait for a
// stable group first, so the kill does not land mid-rebalance.
func (s *Stack) WaitGroupStable(ctx context.Context, group string, members int) error {
	for {
		info, err := s.Admin.DescribeGroup(ctx, group)
		if err == nil && info.State == "Stable" && len(info.Members) == members {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("group %s not stable with %d members: %+v: %w", group, members, info, errors.Join(err, ctx.Err()))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Publish publishes payloads to a topic as a third-party producer would,
// keyed bad-<n>.
func (s *Stack) Publish(topic string, payloads ...[]byte) error {
	return s.PublishKeyed(topic, "bad-", payloads...)
}

// PublishKeyed publishes payloads keyed prefix<n>.
func (s *Stack) PublishKeyed(topic, prefix string, payloads ...[]byte) error {
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: s.Conn}, watermill.NopLogger{})
	if err != nil {
		return err
	}
	defer pub.Close()
	msgs := make([]*message.Message, len(payloads))
	for i, p := range payloads {
		msgs[i] = message.NewMessage(watermill.NewUUID(), p)
		msgs[i].Metadata.Set(article.HeaderArticleID, fmt.Sprintf("%s%d", prefix, i))
	}
	return pub.Publish(topic, msgs...)
}

// ReadTopic reads want messages of a topic from the beginning, in a fresh group.
func (s *Stack) ReadTopic(ctx context.Context, topic string, want int) ([]*message.Message, error) {
	sub, err := kafka.NewSubscriber(kafka.SubscriberConfig{Conn: s.Conn, ConsumerGroup: "harness-reader-" + watermill.NewShortUUID(), MaxInFlight: 100}, watermill.NopLogger{})
	if err != nil {
		return nil, err
	}
	defer sub.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := sub.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	var out []*message.Message
	for len(out) < want {
		select {
		case m, ok := <-ch:
			if !ok {
				return out, fmt.Errorf("read %d of %d messages from %s", len(out), want, topic)
			}
			out = append(out, m)
			m.Ack()
		case <-ctx.Done():
			return out, errors.Join(ctx.Err(), fmt.Errorf("read %d of %d messages from %s", len(out), want, topic))
		}
	}
	return out, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
