package kafka

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
)

// partition fetches one assigned partition for one generation and tracks
// which of its delivered offsets are acknowledged.
type partition struct {
	sub    *subscription
	id     int
	start  int64
	logger watermill.LoggerAdapter

	window chan struct{} // one token per in-flight message

	mu       sync.Mutex
	pending  []*inflight    // delivered, in offset order
	keys     map[string]int // keys of in-flight messages
	released chan struct{}  // signalled when an in-flight message is acknowledged
	next     int64          // offset to commit next: all before it are acknowledged
	last     int64          // last offset committed
	drained  chan struct{}  // closed when pending empties while draining
	draining bool

	acks sync.WaitGroup // awaitAck goroutines

	// Watchdog state: where the reader is, when it last fetched, and how to
	// make it start over.
	fetchMu      sync.Mutex
	position     int64 // next offset to fetch; -1 before the first fetch
	lastFetch    time.Time
	cancelFetch  context.CancelFunc
	restarts     int
	restartedPos int64
}

type inflight struct {
	offset int64
	key    string
	acked  bool
}

func newPartition(sub *subscription, id int, start int64) *partition {
	return &partition{
		sub:       sub,
		id:        id,
		start:     start,
		logger:    sub.logger.With(watermill.LogFields{"partition": id}),
		window:    make(chan struct{}, sub.s.cfg.MaxInFlight),
		keys:      map[string]int{},
		released:  make(chan struct{}, 1),
		next:      -1,
		last:      -1,
		position:  -1,
		lastFetch: time.Now(),
	}
}

// stalled reports how many messages wait past the reader's position and how
// long the reader has fetched nothing.
func (p *partition) stalled(o Offsets) (lag int64, idle time.Duration) {
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
	pos := p.position
	switch {
	case pos >= 0:
	case p.start == kafkago.FirstOffset:
		pos = o.First
	case p.start == kafkago.LastOffset:
		pos = o.End
	default:
		pos = p.start
	}
	return o.End - pos, time.Since(p.lastFetch)
}

// restartReader makes consume replace its reader, and reports whether the
// previous replacement (if any) had fetched anything since.
func (p *partition) restartReader() (previousRecovered bool) {
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
	previousRecovered = p.restarts == 0 || p.position != p.restartedPos
	p.restarts++
	p.restartedPos = p.position
	p.lastFetch = time.Now() // the new reader gets its own StallTimeout
	if p.cancelFetch != nil {
		p.cancelFetch()
	}
	return previousRecovered
}

// consume fetches and delivers until ctx ends, then drains: it waits up to
// DrainTimeout for in-flight messages to be acknowledged so their offsets can
// be committed, and then cancels their contexts.
func (p *partition) consume(ctx context.Context) {
	cfg := &p.sub.s.cfg
	reader := p.newReader(p.start)
	defer func() { _ = reader.Close() }()
	// One fetch context per reader: the watchdog cancels it to make consume
	// replace the reader.
	fctx, cancelFetch := p.fetchContext(ctx)
	defer func() { cancelFetch() }()

	// Message contexts outlive ctx by the drain, so a handler finishing its
	// work during shutdown is not cut off.
	msgCtx, cancelMsgs := context.WithCancel(context.Background())
	defer cancelMsgs()

	bo := backoff{min: cfg.RetryBackoffMin, max: cfg.RetryBackoffMax}
	for ctx.Err() == nil {
		select {
		case p.window <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		km, err := reader.FetchMessage(fctx)
		if err != nil {
			<-p.window
			if ctx.Err() != nil {
				continue
			}
			if fctx.Err() != nil {
				// The watchdog gave up on this reader: start a new one
				// where it stood.
				_ = reader.Close()
				reader = p.newReader(p.resumeAt())
				cancelFetch()
				fctx, cancelFetch = p.fetchContext(ctx)
				continue
			}
			p.fetchError(ctx, reader, err, &bo)
			continue
		}
		p.fetchMu.Lock()
		p.position, p.lastFetch = km.Offset+1, time.Now()
		p.fetchMu.Unlock()
		bo.reset()
		key := string(km.Key)
		if !p.waitForKey(ctx, key) {
			<-p.window
			continue
		}
		msg, err := cfg.Unmarshaler.Unmarshal(km)
		for err != nil {
			// A custom unmarshaler refusing a message is a bug to fix, not
			// input to drop: block the partition and say so.
			p.logger.Error("Unmarshaling a message failed; the partition waits", err, watermill.LogFields{"offset": km.Offset})
			if !sleep(ctx, bo.next()) {
				break
			}
			msg, err = cfg.Unmarshaler.Unmarshal(km)
		}
		if err != nil {
			<-p.window
			continue
		}
		pos := Position{Topic: km.Topic, Partition: km.Partition, Offset: km.Offset, Key: km.Key, Time: km.Time}
		in := p.track(km.Offset, key)
		cancel, ok := p.deliver(ctx, msg, pos)
		if !ok {
			p.forget(in)
			continue
		}
		if cfg.Observer != nil {
			cfg.Observer.Delivered(pos)
		}
		p.acks.Add(1)
		go p.awaitAck(msgCtx, msg, pos, in, cancel)
	}
	p.drain(cfg.DrainTimeout)
	cancelMsgs()
	// No goroutine may send on the subscription's channel once we return:
	// it closes after the last partition is done.
	p.acks.Wait()
}

// fetchContext returns the context a reader fetches with, cancelled by ctx
// or by the watchdog.
func (p *partition) fetchContext(ctx context.Context) (context.Context, context.CancelFunc) {
	fctx, cancel := context.WithCancel(ctx)
	p.fetchMu.Lock()
	p.cancelFetch = cancel
	p.fetchMu.Unlock()
	return fctx, cancel
}

// newReader makes a reader of this partition starting at offset (an offset,
// or kafka-go's FirstOffset/LastOffset).
func (p *partition) newReader(offset int64) *kafkago.Reader {
	cfg := &p.sub.s.cfg
	conn := p.sub.s.conn
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:               conn.brokers,
		Dialer:                conn.dialer,
		Topic:                 p.sub.topic,
		Partition:             p.id,
		MinBytes:              cfg.MinBytes,
		MaxBytes:              cfg.MaxBytes,
		MaxWait:               cfg.MaxWait,
		QueueCapacity:         cfg.QueueCapacity,
		ReadBackoffMin:        cfg.RetryBackoffMin,
		ReadBackoffMax:        cfg.RetryBackoffMax,
		OffsetOutOfRangeError: true,
	})
	if err := r.SetOffset(offset); err != nil {
		p.logger.Error("Setting the start offset failed", err, watermill.LogFields{"offset": offset})
	}
	return r
}

// resumeAt is where a replacement reader starts: after the last message
// fetched, or where the partition started.
func (p *partition) resumeAt() int64 {
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
	if p.position >= 0 {
		return p.position
	}
	return p.start
}

// deliver hands msg to the subscription's channel, with a context that is
// cancelled once the message is acknowledged or rejected.
//
// The message's context is not a child of consume's msgCtx: awaitAck cancels
// it when msgCtx ends, and a child would cost a lock on msgCtx and a map
// insert and delete per message, shared by every in-flight message of the
// partition (about 6 % of a batched pass-through's CPU in a profile).
func (p *partition) deliver(ctx context.Context, msg *message.Message, pos Position) (context.CancelFunc, bool) {
	mctx, cancel := context.WithCancel(context.Background())
	msg.SetContext(WithPosition(mctx, pos))
	select {
	case p.sub.out <- msg:
		return cancel, true
	case <-ctx.Done():
		cancel()
		return nil, false
	}
}

// awaitAck waits for msg's acknowledgement, redelivering it after each nack:
// the partition's committed offset cannot move past it until it succeeds.
func (p *partition) awaitAck(msgCtx context.Context, msg *message.Message, pos Position, in *inflight, cancel context.CancelFunc) {
	defer p.acks.Done()
	for {
		select {
		case <-msg.Acked():
			cancel()
			p.ack(in)
			return
		case <-msg.Nacked():
			cancel()
		case <-msgCtx.Done():
			cancel()
			return
		}
		if !sleep(msgCtx, p.sub.s.cfg.NackResendSleep) {
			return
		}
		msg = msg.Copy()
		var ok bool
		if cancel, ok = p.deliver(msgCtx, msg, pos); !ok {
			return
		}
	}
}

func (p *partition) fetchError(ctx context.Context, reader *kafkago.Reader, err error, bo *backoff) {
	if p.sub.s.cfg.Observer != nil {
		p.sub.s.cfg.Observer.FetchError(p.sub.topic, p.id, err)
	}
	if errors.Is(err, kafkago.OffsetOutOfRange) {
		// The committed offset fell out of retention: start again from the
		// earliest offset kept, loudly, rather than stall.
		p.logger.Error("Offset out of range; resuming from the earliest offset", err, nil)
		if err := reader.SetOffset(kafkago.FirstOffset); err != nil {
			p.logger.Error("Resetting the offset failed", err, nil)
		}
		return
	}
	d := bo.next()
	p.logger.Error("Fetching failed, retrying", err, watermill.LogFields{"backoff": d.String()})
	sleep(ctx, d)
}

// waitForKey blocks while another message with the same key is in flight.
func (p *partition) waitForKey(ctx context.Context, key string) bool {
	if key == "" {
		return true
	}
	for {
		p.mu.Lock()
		busy := p.keys[key] > 0
		p.mu.Unlock()
		if !busy {
			return true
		}
		select {
		case <-p.released:
		case <-ctx.Done():
			return false
		}
	}
}

func (p *partition) track(offset int64, key string) *inflight {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := &inflight{offset: offset, key: key}
	p.pending = append(p.pending, in)
	if key != "" {
		p.keys[key]++
	}
	return in
}

// forget drops a message that was fetched but never delivered (shutdown):
// it was not processed, so its offset must not be committed.
func (p *partition) forget(in *inflight) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.pending {
		if x == in {
			p.pending = append(p.pending[:i], p.pending[i+1:]...)
			break
		}
	}
	if in.key != "" {
		p.release(in.key)
	}
	<-p.window
}

// ack marks a message acknowledged and advances the committable offset over
// the acknowledged prefix.
func (p *partition) ack(in *inflight) {
	p.mu.Lock()
	in.acked = true
	if in.key != "" {
		p.release(in.key)
	}
	n := 0
	for n < len(p.pending) && p.pending[n].acked {
		p.next = p.pending[n].offset + 1
		n++
	}
	p.pending = p.pending[n:]
	if p.draining && len(p.pending) == 0 {
		close(p.drained)
		p.draining = false
	}
	p.mu.Unlock()
	<-p.window
}

func (p *partition) release(key string) {
	if p.keys[key]--; p.keys[key] <= 0 {
		delete(p.keys, key)
	}
	select {
	case p.released <- struct{}{}:
	default:
	}
}

// drain waits for the in-flight messages, up to timeout.
func (p *partition) drain(timeout time.Duration) {
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.mu.Unlock()
		return
	}
	p.drained = make(chan struct{})
	p.draining = true
	waiting := len(p.pending)
	p.mu.Unlock()
	select {
	case <-p.drained:
	case <-time.After(timeout):
		p.logger.Info("Drain timed out; unacknowledged messages will be redelivered", watermill.LogFields{"in_flight": waiting})
	}
}

// toCommit returns the offset to commit if it moved since the last commit.
func (p *partition) toCommit() (int64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.next, p.next > p.last
}

func (p *partition) markCommitted(off int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if off > p.last {
		p.last = off
	}
}
