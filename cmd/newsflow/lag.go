package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

func runLag(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("newsflow lag", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		config.Usage(fs, stderr, "newsflow lag: committed offset, end offset and lag per group and partition.")
	}
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-cli"}
	conn.RegisterFlags(fs)
	var groups []string
	config.ListVar(fs, &groups, "group", "groups to show (default: every newsflow group)")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if len(groups) == 0 {
		if groups, err = admin.Groups(ctx, "newsflow-"); err != nil {
			return err
		}
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "GROUP\tTOPIC\tPARTITION\tCOMMITTED\tEND\tLAG\t")
	for _, g := range groups {
		topic := topicOf(g)
		lags, err := admin.Lag(ctx, g, topic)
		if err != nil {
			return err
		}
		var total int64
		for _, l := range lags {
			committed := fmt.Sprint(l.Committed)
			if l.Committed < 0 {
				committed = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t\n", g, topic, l.Partition, committed, l.End, l.Lag)
			total += l.Lag
		}
		fmt.Fprintf(tw, "%s\t%s\ttotal\t\t\t%d\t\n", g, topic, total)
	}
	return tw.Flush()
}

// topicOf is the topic a newsflow group consumes, by the naming convention:
// sinks read enriched articles, enrich and its reprocess runs read raw ones.
func topicOf(group string) string {
	if strings.HasPrefix(group, article.SinkGroupBase) {
		return article.EnrichedTopic
	}
	return article.RawTopic
}
