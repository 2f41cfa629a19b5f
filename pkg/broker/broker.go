// Package broker runs the embedded Kafka-protocol broker (kfake) that the
// local stack and the tests use. It always keeps its data on disk so the local
// stack keeps its topics across restarts. Nothing in the services depends on
// it: they speak the Kafka protocol to whatever broker they are given.
package broker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/newsflow/newsflow/pkg/article"
)

// DefaultPartitions is the partition count of the newsflow topics.
const DefaultPartitions = 12

// Config configures the embedded broker.
type Config struct {
	// Addr is host:port to listen on; port 0 picks a free port.
	Addr string
	// DataDir holds the broker's data; required.
	DataDir string
	// Partitions of the newsflow topics created at start (default 12).
	Partitions int
	// SyncWrites fsyncs every produced batch, so a kill -9 loses nothing acknowledged.
	SyncWrites bool
	// Logger receives the broker's warnings.
	Logger *zerolog.Logger
	// Opts are extra kfake options (SASL, TLS, ACLs, group timeouts) for tests.
	Opts []kfake.Opt
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
}

// Topics returns the newsflow topics: the two article topics and their
// dead-letter topics.
func Topics() []string {
	return []string{article.RawTopic, article.EnrichedTopic, article.DLQTopic(article.RawTopic), article.DLQTopic(article.EnrichedTopic)}
}

// Start starts the broker with the newsflow topics.
func Start(cfg Config) (*Broker, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("broker: a data directory is required")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = DefaultPartitions
	}
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("broker address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("broker address %q: bad port", cfg.Addr)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.DataDir(cfg.DataDir),
		kfake.DefaultNumPartitions(cfg.Partitions),
		kfake.SeedTopics(int32(cfg.Partitions), Topics()...),
		kfake.GroupMinSessionTimeout(time.Second),
		kfake.ClusterID("newsflow-embedded"),
		// kfake listens on 127.0.0.1; honour another host when asked.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}),
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	if cfg.Logger != nil {
		opts = append(opts, kfake.WithLogger(logger{*cfg.Logger}))
	}
	opts = append(opts, cfg.Opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("starting embedded broker on %s: %w", cfg.Addr, err)
	}
	b := &Broker{cluster: c, addr: c.ListenAddrs()[0]}
	// Topics persisted by an earlier run are loaded as they were; make sure
	// every newsflow topic exists either way.
	for _, t := range Topics() {
		if c.TopicInfo(t) == nil {
			if err := c.CreateTopic(t, int32(cfg.Partitions), nil); err != nil {
				c.Close()
				return nil, fmt.Errorf("creating topic %s: %w", t, err)
			}
		}
	}
	return b, nil
}

// Addr is the host:port the broker listens on.
func (b *Broker) Addr() string { return b.addr }

// Brokers is the bootstrap list for clients.
func (b *Broker) Brokers() []string { return []string{b.addr} }

// Cluster exposes kfake for fault injection in tests.
func (b *Broker) Cluster() *kfake.Cluster { return b.cluster }

// Close stops the broker, flushing its data to disk.
func (b *Broker) Close() { b.cluster.Close() }

// Run starts the broker and serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	b, err := Start(cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	b.Close()
	return nil
}

type logger struct{ l zerolog.Logger }

func (l logger) Logf(level kfake.LogLevel, format string, args ...any) {
	zl := zerolog.DebugLevel
	switch level {
	case kfake.LogLevelError:
		zl = zerolog.ErrorLevel
	case kfake.LogLevelWarn:
		zl = zerolog.WarnLevel
	}
	l.l.WithLevel(zl).Str("component", "kfake").Msgf(format, args...)
}
