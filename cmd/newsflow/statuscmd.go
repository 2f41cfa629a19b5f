package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/newsflow/newsflow/cmd/newsflow/internal/status"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

func runStatus(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("newsflow status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		config.Usage(fs, stderr, "newsflow status: topics, consumer groups and lag of a newsflow deployment.")
	}
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-cli"}
	conn.RegisterFlags(fs)
	watch := fs.Duration("watch", 0, "refresh every interval until Ctrl-C (0: print once)")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return err
	}
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		snap, err := status.Take(qctx, admin)
		cancel()
		if err != nil {
			return fmt.Errorf("reading status from %v: %w", conn.Brokers, err)
		}
		if *watch <= 0 {
			snap.Table(stdout)
			return nil
		}
		fmt.Fprintf(stdout, "%s  %s\n", time.Now().Format(time.TimeOnly), snap.Line())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*watch):
		}
	}
}
