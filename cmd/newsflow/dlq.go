package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

const dlqSynopsis = `newsflow dlq-replay: send dead-lettered messages back to their origin topic.

Reads the dead-letter topic up to its end at start, keeps the messages that
match the filters, and shows them counted by stage and reason; with -apply it
republishes them to the topic they came from with their original key,
payload and headers. dlq_attempts travels along, so a message that fails again
is dead-lettered with its attempt count raised. Use it once the cause is fixed
(a tagger bug, a sink schema), with -reason to pick what was fixed.

  newsflow dlq-replay -dlq news.raw.v1.dlq -reason tagger_failed
  newsflow dlq-replay -dlq news.enriched.v1.dlq -since 2026-11-27T00:00:00Z -apply`

// dlqHeaders are the headers the dead-letter stage added; they are dropped on
// the way back, except dlq_attempts.
var dlqHeaders = map[string]bool{
	article.HeaderDLQReason: true, article.HeaderDLQStage: true, article.HeaderOriginTopic: true,
	article.HeaderOriginPartition: true, article.HeaderOriginOffset: true, article.HeaderFailedAt: true,
}

type dlqEntry struct {
	msg                   kafkago.Message
	stage, reason, origin string
	attempts              string
	failedAt              time.Time
}

func runDLQReplay(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("newsflow dlq-replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { config.Usage(fs, stderr, dlqSynopsis) }
	conn := kafka.ConnConfig{Brokers: []string{"127.0.0.1:9092"}, ClientID: "newsflow-cli"}
	conn.RegisterFlags(fs)
	dlqTopic := fs.String("dlq", article.DLQTopic(article.RawTopic), "dead-letter topic to read")
	reason := fs.String("reason", "", "only messages whose reason starts with this (e.g. tagger_failed)")
	stage := fs.String("stage", "", "only messages refused by this stage (enrich, sink-sqlite, ...)")
	since := fs.String("since", "", "only messages dead-lettered at or after this RFC 3339 time")
	until := fs.String("until", "", "only messages dead-lettered before this RFC 3339 time")
	apply := fs.Bool("apply", false, "republish the matching messages (default: dry run)")
	if err := config.Parse(fs, args, getenv); err != nil {
		return err
	}
	var from, to time.Time
	var errs []error
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		errs = append(errs, err)
		from = t
	}
	if *until != "" {
		t, err := time.Parse(time.RFC3339, *until)
		errs = append(errs, err)
		to = t
	}
	if err := errors.Join(append(errs, conn.Validate())...); err != nil {
		return err
	}
	admin, err := kafka.NewAdmin(conn)
	if err != nil {
		return err
	}
	ends, err := admin.TopicOffsets(ctx, *dlqTopic)
	if err != nil {
		return err
	}
	var matched []dlqEntry
	counts := map[[2]string][2]int{} // stage, reason -> total, matched
	for p, o := range ends {
		err := admin.ReadRange(ctx, *dlqTopic, p, o.First, o.End, func(m kafkago.Message) error {
			e := dlqEntry{msg: m}
			for _, h := range m.Headers {
				switch h.Key {
				case article.HeaderDLQStage:
					e.stage = string(h.Value)
				case article.HeaderDLQReason:
					e.reason = string(h.Value)
				case article.HeaderOriginTopic:
					e.origin = string(h.Value)
				case article.HeaderDLQAttempts:
					e.attempts = string(h.Value)
				case article.HeaderFailedAt:
					e.failedAt, _ = time.Parse(time.RFC3339Nano, string(h.Value))
				}
			}
			short, _, _ := strings.Cut(e.reason, ":")
			key := [2]string{e.stage, short}
			c := counts[key]
			c[0]++
			ok := strings.HasPrefix(e.reason, *reason) && (*stage == "" || e.stage == *stage) &&
				(from.IsZero() || !e.failedAt.Before(from)) && (to.IsZero() || e.failedAt.Before(to))
			if ok {
				c[1]++
				matched = append(matched, e)
			}
			counts[key] = c
			return nil
		})
		if err != nil {
			return err
		}
	}
	keys := make([][2]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STAGE\tREASON\tMESSAGES\tMATCHING")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", k[0], k[1], counts[k][0], counts[k][1])
	}
	_ = tw.Flush()
	if !*apply {
		fmt.Fprintf(stdout, "dry run: %d messages would go back to their origin topics; add -apply to republish\n", len(matched))
		return nil
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Conn: conn}, watermill.NopLogger{})
	if err != nil {
		return err
	}
	defer func() { _ = pub.Close() }()
	byTopic := map[string][]kafkago.Message{}
	var skipped int
	for _, e := range matched {
		if e.origin == "" {
			skipped++
			continue
		}
		m := kafkago.Message{Key: e.msg.Key, Value: e.msg.Value}
		for _, h := range e.msg.Headers {
			if !dlqHeaders[h.Key] {
				m.Headers = append(m.Headers, h)
			}
		}
		m.Headers = append(m.Headers, kafkago.Header{Key: "replayed_at", Value: []byte(time.Now().UTC().Format(time.RFC3339Nano))})
		byTopic[e.origin] = append(byTopic[e.origin], m)
	}
	for topic, msgs := range byTopic {
		if err := pub.PublishKafka(topic, msgs...); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "republished %d messages to %s\n", len(msgs), topic)
	}
	if skipped > 0 {
		fmt.Fprintf(stdout, "skipped %d messages without an origin_topic header\n", skipped)
	}
	return nil
}
