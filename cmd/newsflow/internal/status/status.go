// Package status reads what the pipeline has done from Kafka alone: how many
// articles each topic holds and how far each newsflow consumer group is
// behind. It works against any deployment, local or production.
package status

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Topic is one topic's message count (end minus first offset, over its
// partitions).
type Topic struct {
	Name     string
	Messages int64
	End      int64
}

// Group is one consumer group's progress on its topic.
type Group struct {
	Name      string
	Topic     string
	Processed int64 // committed offsets summed
	Lag       int64
	State     string
	Members   int
}

// Snapshot is the pipeline's state at one moment.
type Snapshot struct {
	Topics []Topic
	Groups []Group
}

// Take reads a snapshot. Sink groups are found by their prefix.
func Take(ctx context.Context, admin *kafka.Admin) (Snapshot, error) {
	var s Snapshot
	for _, name := range []string{article.RawTopic, article.EnrichedTopic, article.DLQTopic(article.RawTopic), article.DLQTopic(article.EnrichedTopic)} {
		offs, err := admin.TopicOffsets(ctx, name)
		if err != nil {
			return s, err
		}
		t := Topic{Name: name}
		for _, o := range offs {
			t.Messages += o.End - o.First
			t.End += o.End
		}
		s.Topics = append(s.Topics, t)
	}
	groups := []struct{ group, topic string }{{article.EnrichGroup, article.RawTopic}}
	sinks, err := admin.Groups(ctx, article.SinkGroupBase)
	if err != nil {
		return s, err
	}
	for _, g := range sinks {
		groups = append(groups, struct{ group, topic string }{g, article.EnrichedTopic})
	}
	for _, g := range groups {
		lags, err := admin.Lag(ctx, g.group, g.topic)
		if err != nil {
			return s, err
		}
		gr := Group{Name: g.group, Topic: g.topic}
		for _, l := range lags {
			gr.Lag += l.Lag
			if l.Committed > 0 {
				gr.Processed += l.Committed
			}
		}
		if info, err := admin.DescribeGroup(ctx, g.group); err == nil {
			gr.State, gr.Members = info.State, len(info.Members)
		}
		s.Groups = append(s.Groups, gr)
	}
	sort.SliceStable(s.Groups[1:], func(i, j int) bool { return s.Groups[1+i].Name < s.Groups[1+j].Name })
	return s, nil
}

// Topic returns a topic's entry.
func (s Snapshot) Topic(name string) Topic {
	for _, t := range s.Topics {
		if t.Name == name {
			return t
		}
	}
	return Topic{Name: name}
}

// CaughtUp reports whether every group has processed everything.
func (s Snapshot) CaughtUp() bool {
	for _, g := range s.Groups {
		if g.Lag > 0 {
			return false
		}
	}
	return len(s.Groups) > 0
}

// Line renders the snapshot as one progress line.
func (s Snapshot) Line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ingested %d", s.Topic(article.RawTopic).Messages)
	for _, g := range s.Groups {
		name := strings.TrimPrefix(g.Name, article.SinkGroupBase)
		if g.Name == article.EnrichGroup {
			name = "enriched"
		} else {
			name = "stored[" + name + "]"
		}
		fmt.Fprintf(&b, " · %s %d", name, g.Processed)
		if g.Lag > 0 {
			fmt.Fprintf(&b, " (lag %d)", g.Lag)
		}
	}
	fmt.Fprintf(&b, " · dead-lettered %d raw, %d enriched",
		s.Topic(article.DLQTopic(article.RawTopic)).Messages, s.Topic(article.DLQTopic(article.EnrichedTopic)).Messages)
	return b.String()
}

// Table writes the snapshot as tables.
func (s Snapshot) Table(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tMESSAGES")
	for _, t := range s.Topics {
		fmt.Fprintf(tw, "%s\t%d\n", t.Name, t.Messages)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "GROUP\tTOPIC\tPROCESSED\tLAG\tSTATE\tMEMBERS")
	for _, g := range s.Groups {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\n", g.Name, g.Topic, g.Processed, g.Lag, g.State, g.Members)
	}
	_ = tw.Flush()
}
