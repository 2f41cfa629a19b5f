package kafka

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
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
	keys     map[uint64]int // keyHash of in-flight messages' keys
	released chan struct{}  // signalled when an in-flight message is acknowledged
	next     int64          // offset to commit next: all before it are acknowledged
	last     int64          // last offset committed
	drained  chan struct{}  // closed when pending empties while draining
	draining bool

	acks sync.WaitGroup // the acker and redeliver goroutines

	// Where the fetcher is, and whether consume is waiting on it (rather
	// than on the in-flight window, a key or the handler): consume sets
	// them per message, the watchdog reads them. Atomics, not a lock and a
	// clock reading per message.
	position atomic.Int64 // next offset to fetch; -1 before the first fetch
	fetching atomic.Bool

	fetchMu     sync.Mutex
	cancelFetch context.CancelFunc // cancels the fetch in progress

	// The watchdog's own state, touched by its goroutine only: the
	// position it last saw and since when the fetcher has been asked for
	// messages without moving from it.
	seenPos      int64
	seenAt       time.Time
	restarts     int
	restartedPos int64
}

type inflight struct {
	offset int64
	key    uint64 // keyHash of the message key; 0 for none
	acked  bool
}

func newPartition(sub *subscription, id int, start int64) *partition {
	p := &partition{
		sub:      sub,
		id:       id,
		start:    start,
		logger:   sub.logger.With(watermill.LogFields{"partition": id}),
		window:   make(chan struct{}, sub.s.cfg.MaxInFlight),
		keys:     map[uint64]int{},
		released: make(chan struct{}, 1),
		next:     -1,
		last:     -1,
		seenPos:  -1,
		seenAt:   time.Now(),
	}
	p.position.Store(-1)
	return p
}

// stalled reports how many messages wait past the fetcher's position and for
// how long consume has been waiting on the fetcher without it moving. Time
// spent waiting on the in-flight window, a key or the handler does not
// count: a busy handler is not a stuck fetch. Only the watchdog calls it.
func (p *partition) stalled(o Offsets, now time.Time) (lag int64, idle time.Duration) {
	pos := p.position.Load()
	if pos != p.seenPos || !p.fetching.Load() {
		p.seenPos, p.seenAt = pos, now
	}
	switch {
	case pos >= 0:
	case p.start == kafkago.FirstOffset:
		pos = o.First
	case p.start == kafkago.LastOffset:
		pos = o.End
	default:
		pos = p.start
	}
	return o.End - pos, now.Sub(p.seenAt)
}

// restartFetch cancels the fetch in progress, which the fetcher then asks
// again on another connection, and reports whether the previous restart
// (if any) had fetched anything since. Only the watchdog calls it.
func (p *partition) restartFetch(now time.Time) (previousRecovered bool) {
	pos := p.position.Load()
	previousRecovered = p.restarts == 0 || pos != p.restartedPos
	p.restarts++
	p.restartedPos = pos
	p.seenAt = now // the new fetch gets its own StallTimeout
	p.fetchMu.Lock()
	defer p.fetchMu.Unlock()
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
	f := startFetcher(ctx, fetchConfig{
		conn: p.sub.s.conn, topic: p.sub.topic, partition: p.id,
		minBytes: cfg.MinBytes, maxBytes: cfg.MaxBytes, maxWait: cfg.MaxWait,
		backoffMin: cfg.RetryBackoffMin, backoffMax: cfg.RetryBackoffMax,
		logger: p.logger, failed: p.fetchFailed, started: p.fetchStarted,
	}, p.start)
	defer f.close()

	// Message contexts outlive ctx by the drain, so a handler finishing its
	// work during shutdown is not cut off.
	msgCtx, cancelMsgs := context.WithCancel(context.Background())
	defer cancelMsgs()
	delivered := make(chan delivery, cfg.MaxInFlight)
	p.acks.Add(1)
	go p.acker(msgCtx, delivered)

	bo := backoff{min: cfg.RetryBackoffMin, max: cfg.RetryBackoffMax}
	for ctx.Err() == nil {
		select {
		case p.window <- struct{}{}:
		case <-ctx.Done():
			continue
		}
		// Waiting on the fetcher from here until it hands over a message,
		// through fetch errors and their backoff.
		p.fetching.Store(true)
		km, ok := f.next(ctx)
		if !ok {
			<-p.window
			continue
		}
		p.position.Store(km.Offset + 1)
		p.fetching.Store(false)
		key := keyHash(km.Key)
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
		bo.reset()
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
		delivered <- delivery{msg: msg, pos: pos, in: in, cancel: cancel}
	}
	close(delivered)
	p.drain(cfg.DrainTimeout)
	cancelMsgs()
	// No goroutine may send on the subscription's channel once we return:
	// it closes after the last partition is done.
	p.acks.Wait()
}

func (p *partition) fetchFailed(err error) {
	if p.sub.s.cfg.Observer != nil {
		p.sub.s.cfg.Observer.FetchError(p.sub.topic, p.id, err)
	}
}

// fetchStarted keeps the cancel function of the fetch in progress, for the
// watchdog.
func (p *partition) fetchStarted(cancel context.CancelFunc) {
	p.fetchMu.Lock()
	p.cancelFetch = cancel
	p.fetchMu.Unlock()
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

// delivery is a message handed out and not yet acknowledged.
type delivery struct {
	msg    *message.Message
	pos    Position
	in     *inflight
	cancel context.CancelFunc
}

// acker waits for each delivered message's acknowledgement in turn, until
// delivered closes: one goroutine per partition rather than one per message
// (that cost a tenth of a pass-through's CPU). An acknowledgement out of
// order is seen once those before it are, and the in-flight window bounds
// how far fetching runs ahead meanwhile. A nacked message is retried on a
// goroutine of its own, so its retries hold up nothing behind it.
func (p *partition) acker(msgCtx context.Context, delivered <-chan delivery) {
	defer p.acks.Done()
	for d := range delivered {
		if p.awaitAck(msgCtx, d) {
			p.acks.Add(1)
			go p.redeliver(msgCtx, d)
		}
	}
}

// awaitAck waits for d's acknowledgement and records it, and reports
// whether d was nacked instead.
func (p *partition) awaitAck(msgCtx context.Context, d delivery) (nacked bool) {
	select {
	case <-d.msg.Acked():
		d.cancel()
		p.ack(d.in)
		return false
	case <-d.msg.Nacked():
		d.cancel()
		return true
	case <-msgCtx.Done():
		d.cancel()
		return false
	}
}

// redeliver hands a nacked message out again after NackResendSleep until it
// is acknowledged: the partition's committed offset cannot move past it
// before then.
func (p *partition) redeliver(msgCtx context.Context, d delivery) {
	defer p.acks.Done()
	for {
		if !sleep(msgCtx, p.sub.s.cfg.NackResendSleep) {
			return
		}
		d.msg = d.msg.Copy()
		var ok bool
		if d.cancel, ok = p.deliver(msgCtx, d.msg, d.pos); !ok {
			return
		}
		if !p.awaitAck(msgCtx, d) {
			return
		}
	}
}

// keySeed seeds keyHash; one per process is enough.
var keySeed = maphash.MakeSeed()

// keyHash stands for a message key in the in-flight bookkeeping, 0 for no
// key. Two keys sharing a hash only make one wait for the other, which the
// key order allows; it saves a string and a string hash per message.
func keyHash(key []byte) uint64 {
	if len(key) == 0 {
		return 0
	}
	return maphash.Bytes(keySeed, key) | 1
}

// waitForKey blocks while another message with the same key is in flight.
func (p *partition) waitForKey(ctx context.Context, key uint64) bool {
	if key == 0 {
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

func (p *partition) track(offset int64, key uint64) *inflight {
	p.mu.Lock()
	defer p.mu.Unlock()
	in := &inflight{offset: offset, key: key}
	p.pending = append(p.pending, in)
	if key != 0 {
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
	if in.key != 0 {
		p.release(in.key)
	}
	<-p.window
}

// ack marks a message acknowledged and advances the committable offset over
// the acknowledged prefix.
func (p *partition) ack(in *inflight) {
	p.mu.Lock()
	in.acked = true
	if in.key != 0 {
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

func (p *partition) release(key uint64) {
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
