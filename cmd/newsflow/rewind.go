package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

const rewindSynopsis = `newsflow rewind: move an idle consumer group's offsets on a topic.

Shows the current and new offset of every partition; changes nothing unless
-apply is given. Refuses while the group has members: stop the consumers
first, since a live member would overwrite the offsets at its next commit.

  newsflow rewind -group newsflow-sink-sqlite -topic news.enriched.v1 -to-beginning
  newsflow rewind -group newsflow-enrich -topic news.raw.v1 -to-time 2026-11-27T08:00:00Z -apply
  newsflow rewind -group newsflow-enrich -topic news.raw.v1 -to-offset 0=120,3=88 -apply`

func runRewind(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("newsflow rewind", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, rewindSynopsis) }
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-cli"}
	conn.RegisterFlags(fs)
	group := fs.String("group", "", "consumer group to move (required)")
	topic := fs.String("topic", "", "topic whose offsets move (required)")
	toBeginning := fs.Bool("to-beginning", false, "to the first offset kept")
	toEnd := fs.Bool("to-end", false, "to the end: skip everything not yet consumed")
	toTime := fs.String("to-time", "", "to the first record at or after this RFC 3339 time")
	toOffset := fs.String("to-offset", "", "to given offsets, partition=offset,... (other partitions stay)")
	apply := fs.Bool("apply", false, "commit the new offsets (default: dry run)")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	var errs []error
	if *group == "" {
		errs = append(errs, errors.New("group: required"))
	}
	if *topic == "" {
		errs = append(errs, errors.New("topic: required"))
	}
	n := 0
	for _, set := range []bool{*toBeginning, *toEnd, *toTime != "", *toOffset != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		errs = append(errs, errors.New("give exactly one of -to-beginning, -to-end, -to-time, -to-offset"))
	}
	var at time.Time
	if *toTime != "" {
		t, err := time.Parse(time.RFC3339, *toTime)
		if err != nil {
			errs = append(errs, fmt.Errorf("to-time: %w", err))
		}
		at = t
	}
	explicit, err := parseOffsets(*toOffset)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(append(errs, conn.Validate())...); err != nil {
		return err
	}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	info, err := admin.DescribeGroup(ctx, *group)
	if err != nil {
		return err
	}
	if len(info.Members) > 0 {
		var names []string
		for _, m := range info.Members {
			names = append(names, fmt.Sprintf("%s (client %s, host %s)", m.ID, m.ClientID, m.Host))
		}
		return fmt.Errorf("group %s has %d active members, stop them first: %s", *group, len(info.Members), strings.Join(names, "; "))
	}
	ends, err := admin.TopicOffsets(ctx, *topic)
	if err != nil {
		return err
	}
	current, err := admin.CommittedOffsets(ctx, *group, *topic)
	if err != nil {
		return err
	}
	target := map[int]int64{}
	switch {
	case *toBeginning:
		for p, o := range ends {
			target[p] = o.First
		}
	case *toEnd:
		for p, o := range ends {
			target[p] = o.End
		}
	case !at.IsZero():
		if target, err = admin.OffsetsForTime(ctx, *topic, at); err != nil {
			return err
		}
	default:
		for p, off := range explicit {
			o, ok := ends[p]
			if !ok {
				return fmt.Errorf("to-offset: %s has no partition %d", *topic, p)
			}
			if off < o.First || off > o.End {
				return fmt.Errorf("to-offset: partition %d offset %d is outside [%d, %d]", p, off, o.First, o.End)
			}
			target[p] = off
		}
	}

	parts := make([]int, 0, len(ends))
	for p := range ends {
		parts = append(parts, p)
	}
	sort.Ints(parts)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PARTITION\tCURRENT\tNEW\tEND\tTO REPROCESS\t")
	var moved int64
	for _, p := range parts {
		cur := "-"
		if c, ok := current[p]; ok {
			cur = strconv.FormatInt(c, 10)
		}
		nw, ok := target[p]
		if !ok {
			fmt.Fprintf(tw, "%d\t%s\t(unchanged)\t%d\t\t\n", p, cur, ends[p].End)
			continue
		}
		moved += ends[p].End - nw
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t\n", p, cur, nw, ends[p].End, ends[p].End-nw)
	}
	_ = tw.Flush()
	if !*apply {
		fmt.Fprintf(stdout, "dry run: group %s would reprocess %d messages of %s; add -apply to commit\n", *group, moved, *topic)
		return nil
	}
	if err := admin.CommitOffsets(ctx, *group, *topic, target); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "applied: group %s will reprocess %d messages of %s when it starts\n", *group, moved, *topic)
	return nil
}

// parseOffsets reads partition=offset,partition=offset.
func parseOffsets(s string) (map[int]int64, error) {
	out := map[int]int64{}
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		p, err1 := strconv.Atoi(k)
		off, err2 := strconv.ParseInt(v, 10, 64)
		if !ok || err1 != nil || err2 != nil || p < 0 || off < 0 {
			return nil, fmt.Errorf("to-offset: %q is not partition=offset", kv)
		}
		out[p] = off
	}
	return out, nil
}
