package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/newsflow/newsflow/pkg/broker"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/logging"
)

func runBroker(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("newsflow broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		config.Usage(fs, stderr, "newsflow broker: run the embedded Kafka-protocol broker (kfake) until Ctrl-C.")
	}
	cfg := broker.Config{}
	fs.StringVar(&cfg.Addr, "broker-addr", "127.0.0.1:9092", "address to listen on")
	fs.StringVar(&cfg.DataDir, "broker-data", "./var/kafka", "data directory; kept across restarts")
	fs.IntVar(&cfg.Partitions, "partitions", broker.DefaultPartitions, "partitions of the newsflow topics")
	fs.BoolVar(&cfg.SyncWrites, "broker-sync-writes", false, "fsync every produced batch")
	var logCfg logging.Config
	logCfg.RegisterFlags(fs)
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	log, err := logging.New(stderr, "broker", logCfg)
	if err != nil {
		return err
	}
	l := log.Level(max(log.GetLevel(), 2)) // kfake's info logs are per request
	cfg.Logger = &l
	b, err := broker.Start(cfg)
	if err != nil {
		return err
	}
	log.Info().Str("addr", b.Addr()).Str("data", cfg.DataDir).Msg("broker running")
	fmt.Fprintf(stdout, "broker listening on %s, data in %s\n", b.Addr(), cfg.DataDir)
	<-ctx.Done()
	b.Close()
	log.Info().Msg("broker stopped")
	return nil
}
