package kafka

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	kafkago "github.com/segmentio/kafka-go"
)

// TopicSpec is the layout of a topic to create.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	Configs           map[string]string
}

// Admin runs the cluster operations the services and tools need: creating
// topics, reading offsets and lag.
type Admin struct {
	conn *conn
}

// NewAdmin builds an Admin. It does not connect until used.
func NewAdmin(cfg ConnConfig) (*Admin, error) {
	c, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return &Admin{conn: c}, nil
}

// EnsureTopics creates the topics that do not exist yet. Existing topics are
// left as they are, whatever their layout.
func (a *Admin) EnsureTopics(ctx context.Context, specs ...TopicSpec) error {
	return EnsureTopics(ctx, a.conn, specs...)
}

// EnsureTopics creates the topics that do not exist yet. It asks the
// metadata first, so a client allowed to describe but not to create topics
// works against topics an administrator made.
func EnsureTopics(ctx context.Context, c *conn, specs ...TopicSpec) error {
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	meta, err := c.client().Metadata(ctx, &kafkago.MetadataRequest{Topics: names})
	if err != nil {
		return fmt.Errorf("reading topic metadata: %w", err)
	}
	exists := map[string]bool{}
	for _, t := range meta.Topics {
		if t.Error == nil {
			exists[t.Name] = true
		} else if Fatal(t.Error) {
			return fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
	}
	req := &kafkago.CreateTopicsRequest{}
	for _, s := range specs {
		if exists[s.Name] {
			continue
		}
		rf := s.ReplicationFactor
		if rf == 0 {
			rf = 1
		}
		tc := kafkago.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: rf}
		for k, v := range s.Configs {
			tc.ConfigEntries = append(tc.ConfigEntries, kafkago.ConfigEntry{ConfigName: k, ConfigValue: v})
		}
		req.Topics = append(req.Topics, tc)
	}
	if len(req.Topics) == 0 {
		return nil
	}
	resp, err := c.client().CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("creating topics: %w", err)
	}
	var errs []error
	for name, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafkago.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("creating topic %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// WaitForBroker retries EnsureTopics until it succeeds or ctx ends, so a
// service started before its broker waits instead of failing.
func (a *Admin) WaitForBroker(ctx context.Context, onRetry func(error), specs ...TopicSpec) error {
	bo := backoff{min: 200 * time.Millisecond, max: 5 * time.Second}
	for {
		err := a.EnsureTopics(ctx, specs...)
		if err == nil {
			return nil
		}
		if Fatal(err) {
			return err
		}
		// kafka-go's transport reports a refused login as a hang-up; ask
		// the dialer, which says why.
		if aerr := a.CheckAuth(ctx); Fatal(aerr) {
			return aerr
		}
		if onRetry != nil {
			onRetry(err)
		}
		if !sleep(ctx, bo.next()) {
			return fmt.Errorf("waiting for the broker: %w (last error: %w)", ctx.Err(), err)
		}
	}
}

// Partitions lists the partition ids of topic.
func (a *Admin) Partitions(ctx context.Context, topic string) ([]int, error) {
	resp, err := a.conn.client().Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("reading metadata of %s: %w", topic, err)
	}
	for _, t := range resp.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("reading metadata of %s: %w", topic, t.Error)
		}
		ids := make([]int, 0, len(t.Partitions))
		for _, p := range t.Partitions {
			ids = append(ids, p.ID)
		}
		sort.Ints(ids)
		return ids, nil
	}
	return nil, fmt.Errorf("topic %s: %w", topic, kafkago.UnknownTopicOrPartition)
}

// Offsets are the first and end offsets of one partition: the partition
// holds [First, End).
type Offsets struct {
	First, End int64
}

// TopicOffsets returns the first and end offsets of every partition of topic.
func (a *Admin) TopicOffsets(ctx context.Context, topic string) (map[int]Offsets, error) {
	parts, err := a.Partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	reqs := make([]kafkago.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafkago.FirstOffsetOf(p), kafkago.LastOffsetOf(p))
	}
	resp, err := a.conn.client().ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("listing offsets of %s: %w", topic, err)
	}
	out := make(map[int]Offsets, len(parts))
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("listing offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = Offsets{First: po.FirstOffset, End: po.LastOffset}
	}
	return out, nil
}

// CommittedOffsets returns the offsets group has committed on topic; a
// partition without a commit is absent.
func (a *Admin) CommittedOffsets(ctx context.Context, group, topic string) (map[int]int64, error) {
	commits, err := a.Commits(ctx, group, topic)
	if err != nil {
		return nil, err
	}
	out := make(map[int]int64, len(commits))
	for p, c := range commits {
		out[p] = c.Offset
	}
	return out, nil
}

// Commit is a committed offset with the metadata string committed with it.
type Commit struct {
	Offset   int64
	Metadata string
}

// Commits returns group's committed offsets on topic with their metadata.
func (a *Admin) Commits(ctx context.Context, group, topic string) (map[int]Commit, error) {
	parts, err := a.Partitions(ctx, topic)
	if err != nil {
		return nil, err
	}
	resp, err := a.conn.client().OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("fetching offsets of group %s: %w", group, err)
	}
	out := map[int]Commit{}
	if errors.Is(resp.Error, kafkago.GroupIdNotFound) {
		return out, nil // a group that never committed
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("fetching offsets of group %s: %w", group, resp.Error)
	}
	for _, p := range resp.Topics[topic] {
		if errors.Is(p.Error, kafkago.GroupIdNotFound) {
			continue
		}
		if p.Error != nil {
			return nil, fmt.Errorf("fetching offset of group %s on %s/%d: %w", group, topic, p.Partition, p.Error)
		}
		if p.CommittedOffset >= 0 {
			out[p.Partition] = Commit{Offset: p.CommittedOffset, Metadata: p.Metadata}
		}
	}
	return out, nil
}

// PartitionLag is how far a group is behind on one partition.
type PartitionLag struct {
	Partition int
	Committed int64 // -1 when the group has not committed
	End       int64
	Lag       int64
}

// Lag computes a group's lag per partition of topic from the end offsets and
// its committed offsets (kafka-go's readers cannot report it with groups).
// A partition without a commit lags by everything it holds.
func (a *Admin) Lag(ctx context.Context, group, topic string) ([]PartitionLag, error) {
	ends, err := a.TopicOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	committed, err := a.CommittedOffsets(ctx, group, topic)
	if err != nil {
		return nil, err
	}
	out := make([]PartitionLag, 0, len(ends))
	for p, o := range ends {
		l := PartitionLag{Partition: p, Committed: -1, End: o.End}
		if c, ok := committed[p]; ok {
			l.Committed = c
			l.Lag = max(o.End-c, 0)
		} else {
			l.Lag = o.End - o.First
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Partition < out[j].Partition })
	return out, nil
}

// Groups lists the consumer groups whose name starts with prefix.
func (a *Admin) Groups(ctx context.Context, prefix string) ([]string, error) {
	resp, err := a.conn.client().ListGroups(ctx, &kafkago.ListGroupsRequest{})
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("listing groups: %w", resp.Error)
	}
	var out []string
	for _, g := range resp.Groups {
		if len(g.GroupID) >= len(prefix) && g.GroupID[:len(prefix)] == prefix {
			out = append(out, g.GroupID)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Member is a consumer group member as the coordinator sees it.
type Member struct {
	ID, ClientID, Host string
	Partitions         map[string][]int // assigned partitions by topic
}

// GroupInfo is a group's state and members.
type GroupInfo struct {
	State   string
	Members []Member
}

// DescribeGroup returns a group's state and members.
func (a *Admin) DescribeGroup(ctx context.Context, group string) (GroupInfo, error) {
	resp, err := a.conn.client().DescribeGroups(ctx, &kafkago.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return GroupInfo{}, fmt.Errorf("describing group %s: %w", group, err)
	}
	for _, g := range resp.Groups {
		if g.GroupID != group {
			continue
		}
		if errors.Is(g.Error, kafkago.GroupIdNotFound) {
			return GroupInfo{State: "Dead"}, nil // no such group: nobody in it
		}
		if g.Error != nil {
			return GroupInfo{}, fmt.Errorf("describing group %s: %w", group, g.Error)
		}
		info := GroupInfo{State: g.GroupState}
		for _, m := range g.Members {
			mem := Member{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Partitions: map[string][]int{}}
			for _, t := range m.MemberAssignments.Topics {
				mem.Partitions[t.Topic] = append(mem.Partitions[t.Topic], t.Partitions...)
			}
			info.Members = append(info.Members, mem)
		}
		return info, nil
	}
	return GroupInfo{}, fmt.Errorf("describing group %s: not in the answer", group)
}

// OffsetsForTime returns, per partition of topic, the first offset whose
// record timestamp is at or after t; partitions with no such record get
// their end offset.
func (a *Admin) OffsetsForTime(ctx context.Context, topic string, t time.Time) (map[int]int64, error) {
	ends, err := a.TopicOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	reqs := make([]kafkago.OffsetRequest, 0, len(ends))
	for p := range ends {
		reqs = append(reqs, kafkago.OffsetRequest{Partition: p, Timestamp: t.UnixMilli()})
	}
	resp, err := a.conn.client().ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("listing offsets of %s at %s: %w", topic, t.Format(time.RFC3339), err)
	}
	out := make(map[int]int64, len(ends))
	for p, o := range ends {
		out[p] = o.End
	}
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("listing offsets of %s/%d: %w", topic, po.Partition, po.Error)
		}
		for off := range po.Offsets {
			if off >= 0 {
				out[po.Partition] = off
			}
		}
	}
	return out, nil
}

// Fatal reports whether err is one that retrying cannot fix: failed
// authentication, or a missing permission. Services stop with it at once
// instead of waiting for a broker that will never let them in.
func Fatal(err error) bool {
	for _, e := range []error{
		kafkago.SASLAuthenticationFailed, kafkago.UnsupportedSASLMechanism, kafkago.IllegalSASLState,
		kafkago.TopicAuthorizationFailed, kafkago.GroupAuthorizationFailed, kafkago.ClusterAuthorizationFailed,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ErrGroupActive is returned when an operation needs an idle group.
var ErrGroupActive = errors.New("consumer group has active members")

// CommitOffsets sets a group's committed offsets on topic. The group must
// have no members: a live member would overwrite them at its next commit.
func (a *Admin) CommitOffsets(ctx context.Context, group, topic string, offsets map[int]int64) error {
	commits := make(map[int]Commit, len(offsets))
	for p, off := range offsets {
		commits[p] = Commit{Offset: off}
	}
	return a.Commit(ctx, group, topic, commits)
}

// Commit is CommitOffsets with a metadata string per partition.
func (a *Admin) Commit(ctx context.Context, group, topic string, offsets map[int]Commit) error {
	info, err := a.DescribeGroup(ctx, group)
	if err != nil {
		return err
	}
	if len(info.Members) > 0 {
		return fmt.Errorf("%w: %s has %d", ErrGroupActive, group, len(info.Members))
	}
	commits := make([]kafkago.OffsetCommit, 0, len(offsets))
	for p, c := range offsets {
		commits = append(commits, kafkago.OffsetCommit{Partition: p, Offset: c.Offset, Metadata: c.Metadata})
	}
	resp, err := a.conn.client().OffsetCommit(ctx, &kafkago.OffsetCommitRequest{
		GroupID: group, GenerationID: -1, Topics: map[string][]kafkago.OffsetCommit{topic: commits},
	})
	if err != nil {
		return fmt.Errorf("committing offsets of group %s: %w", group, err)
	}
	var errs []error
	for _, parts := range resp.Topics {
		for _, p := range parts {
			if p.Error != nil {
				errs = append(errs, fmt.Errorf("committing %s/%d for group %s: %w", topic, p.Partition, group, p.Error))
			}
		}
	}
	return errors.Join(errs...)
}

// ReadRange reads the records of one partition in [from, to), in order,
// calling fn for each, and returns when it reaches to, fn fails, ctx ends
// or the cluster refuses the credentials (Fatal). Other fetch errors are
// retried. It needs no consumer group: tools that replay a bounded range
// use it. The records of one fetch share memory: fn copies what it keeps.
func (a *Admin) ReadRange(ctx context.Context, topic string, partition int, from, to int64, fn func(kafkago.Message) error) error {
	if from >= to {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fatal := make(chan error, 1)
	f := startFetcher(ctx, fetchConfig{
		conn: a.conn, topic: topic, partition: partition,
		minBytes: 1, maxBytes: fetchMaxBytes, maxWait: 250 * time.Millisecond,
		backoffMin: 100 * time.Millisecond, backoffMax: 5 * time.Second,
		logger: watermill.NopLogger{},
		failed: func(err error) {
			if Fatal(err) {
				select {
				case fatal <- err:
				default:
				}
				cancel()
			}
		},
	}, from)
	defer f.close()
	for {
		m, ok := f.next(ctx)
		if !ok {
			select {
			case err := <-fatal:
				return fmt.Errorf("reading %s/%d: %w", topic, partition, err)
			default:
				return fmt.Errorf("reading %s/%d: %w", topic, partition, ctx.Err())
			}
		}
		if m.Offset >= to {
			return nil
		}
		if err := fn(m); err != nil {
			return err
		}
		if m.Offset+1 >= to {
			return nil
		}
	}
}

// CheckAuth connects to a broker with the dialer, which authenticates, and
// reports a failed authentication as such (kafka-go's transport only sees
// the broker hang up).
func (a *Admin) CheckAuth(ctx context.Context) error {
	var last error
	for _, b := range a.conn.brokers {
		c, err := a.conn.dialer.DialContext(ctx, "tcp", b)
		if err == nil {
			return c.Close()
		}
		last = err
		if Fatal(err) {
			return fmt.Errorf("connecting to %s: %w", b, err)
		}
	}
	return last
}
