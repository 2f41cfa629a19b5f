// Command newsflow is the operator's tool: it runs the embedded broker and
// the whole local stack, and shows the pipeline's status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(os.Stderr, "newsflow: %v\n", err)
		}
		os.Exit(1)
	}
}

const usage = `newsflow: run and operate the newsflow pipeline.

Usage:
  newsflow dev [flags]      run the whole stack locally (embedded broker, enrich,
                            sink, ingest of the sample folders) until Ctrl-C
  newsflow broker [flags]   run the embedded Kafka-protocol broker
  newsflow status [flags]   show topics, consumer groups and lag
  newsflow lag [flags]      lag per group and partition
  newsflow rewind [flags]   move an idle group's offsets (dry run unless -apply)
  newsflow dlq-replay [flags]
                            send dead-lettered messages back to their origin topic

Reprocessing with a new enricher is "enrich reprocess" (it runs the taggers).

Run "newsflow COMMAND -h" for a command's flags.`

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	case "broker":
		return runBroker(ctx, rest, getenv, stdout, stderr)
	case "status":
		return runStatus(ctx, rest, getenv, stdout, stderr)
	case "lag":
		return runLag(ctx, rest, getenv, stdout, stderr)
	case "rewind":
		return runRewind(ctx, rest, getenv, stdout, stderr)
	case "dlq-replay":
		return runDLQReplay(ctx, rest, getenv, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}
