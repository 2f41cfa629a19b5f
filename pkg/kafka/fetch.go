package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// fetcher reads one partition with kafka-go's Client.Fetch, one fetch ahead
// of its caller. kafka-go's Reader costs a goroutine hand-off, a read
// deadline and a fresh allocation per message; a fetcher hands over a whole
// fetch at a time, and the keys and values of one fetch share one
// allocation (so a handler keeping a payload long after acknowledging it
// keeps its fetch's memory, up to MaxBytes, alive: copy it).
type fetcher struct {
	cfg    fetchConfig
	client *kafkago.Client

	batches chan []kafkago.Message // fetched, not yet taken
	batch   []kafkago.Message      // what next takes messages from
	stop    context.CancelFunc
	done    chan struct{}

	// pending is the records of one fetch between reading and copying out
	// (their keys and values still in kafka-go's pooled pages), kept to
	// save an allocation per fetch.
	pending []protocol.Record
}

// fetchConfig says what a fetcher reads and how.
type fetchConfig struct {
	conn      *conn
	topic     string
	partition int

	minBytes, maxBytes     int
	maxWait                time.Duration
	backoffMin, backoffMax time.Duration
	logger                 watermill.LoggerAdapter

	// failed, when set, hears of every failed fetch; started of the cancel
	// function of every fetch as it starts (the watchdog's way to give up
	// on one).
	failed  func(error)
	started func(context.CancelFunc)
}

// startFetcher starts fetching from offset (an offset, or kafka-go's
// FirstOffset/LastOffset) until ctx ends or close is called.
func startFetcher(ctx context.Context, cfg fetchConfig, offset int64) *fetcher {
	ctx, stop := context.WithCancel(ctx)
	f := &fetcher{
		cfg:     cfg,
		client:  cfg.conn.client(),
		batches: make(chan []kafkago.Message, 1),
		stop:    stop,
		done:    make(chan struct{}),
	}
	go f.run(ctx, offset)
	return f
}

// close stops the fetcher and waits for its goroutine.
func (f *fetcher) close() {
	f.stop()
	<-f.done
}

// next returns the next message, waiting for a fetch if it has to; false
// when ctx ends first.
func (f *fetcher) next(ctx context.Context) (kafkago.Message, bool) {
	for len(f.batch) == 0 {
		select {
		case f.batch = <-f.batches:
		case <-ctx.Done():
			return kafkago.Message{}, false
		}
	}
	m := f.batch[0]
	f.batch[0] = kafkago.Message{} // the batch's array outlives the message
	f.batch = f.batch[1:]
	return m, true
}

// run fetches until ctx ends. Errors are retried with backoff; an offset
// that fell out of retention restarts at the earliest offset kept.
func (f *fetcher) run(ctx context.Context, offset int64) {
	defer close(f.done)
	bo := backoff{min: f.cfg.backoffMin, max: f.cfg.backoffMax}
	for ctx.Err() == nil {
		var (
			msgs      []kafkago.Message
			next      int64
			err       error
			cancelled bool
		)
		if offset < 0 {
			next, err = f.resolve(ctx, offset)
		} else {
			msgs, next, cancelled, err = f.fetch(ctx, offset)
		}
		switch {
		case ctx.Err() != nil:
			return
		case cancelled:
			// The watchdog gave up on this fetch (and said so): ask again
			// at once, on another connection.
			continue
		case err != nil:
			if f.cfg.failed != nil {
				f.cfg.failed(err)
			}
			if errors.Is(err, kafkago.OffsetOutOfRange) {
				// The offset fell out of retention: start again from the
				// earliest offset kept, loudly, rather than stall.
				f.cfg.logger.Error("Offset out of range; resuming from the earliest offset", err, watermill.LogFields{"offset": offset})
				offset = kafkago.FirstOffset
				continue
			}
			var kerr kafkago.Error
			if !errors.As(err, &kerr) {
				// The connection failed, not the request: the transport's
				// other idle connections to the broker most likely went
				// with it (a broker restart), and each would fail one
				// fetch in turn. Drop them; the next fetch dials afresh.
				f.cfg.conn.transport.CloseIdleConnections()
			}
			d := bo.next()
			f.cfg.logger.Error("Fetching failed, retrying", err, watermill.LogFields{"offset": offset, "backoff": d.String()})
			sleep(ctx, d)
			continue
		}
		bo.reset()
		offset = next
		if len(msgs) == 0 {
			continue
		}
		select {
		case f.batches <- msgs:
		case <-ctx.Done():
			return
		}
	}
}

// resolve turns FirstOffset or LastOffset into an offset, once: asking
// the broker to resolve it on every fetch would skip what arrives between
// an empty fetch and the next.
func (f *fetcher) resolve(ctx context.Context, which int64) (int64, error) {
	offs, err := (&Admin{conn: f.cfg.conn}).TopicOffsets(ctx, f.cfg.topic)
	if err != nil {
		return which, err
	}
	o, ok := offs[f.cfg.partition]
	switch {
	case !ok:
		return which, fmt.Errorf("partition %d of %s not found", f.cfg.partition, f.cfg.topic)
	case which == kafkago.LastOffset:
		return o.End, nil
	default:
		return o.First, nil
	}
}

// fetch asks for the records from offset on and returns them with the
// offset to fetch next. cancelled reports that the request was cancelled
// through cfg.started while ctx went on.
func (f *fetcher) fetch(ctx context.Context, offset int64) (msgs []kafkago.Message, next int64, cancelled bool, err error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if f.cfg.started != nil {
		f.cfg.started(cancel)
	}
	resp, err := f.client.Fetch(rctx, &kafkago.FetchRequest{
		Topic: f.cfg.topic, Partition: f.cfg.partition, Offset: offset,
		MinBytes: int64(f.cfg.minBytes), MaxBytes: int64(f.cfg.maxBytes), MaxWait: f.cfg.maxWait,
	})
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	if err != nil {
		if resp != nil {
			discard(resp.Records)
		}
		return nil, offset, rctx.Err() != nil && ctx.Err() == nil, err
	}
	msgs, next, err = f.decode(resp, offset)
	return msgs, next, false, err
}

// decode copies the records at or after offset out of kafka-go's pooled
// pages, into one allocation for the fetch, and returns them with the
// offset after the last record seen (control records included).
func (f *fetcher) decode(resp *kafkago.FetchResponse, offset int64) ([]kafkago.Message, int64, error) {
	next := offset
	f.pending = f.pending[:0]
	defer func() {
		for i := range f.pending {
			closeBytes(f.pending[i].Key)
			closeBytes(f.pending[i].Value)
		}
		clear(f.pending)
	}()
	size := 0
	bs := batches(resp.Records)
	for _, batch := range bs {
		_, control := batch.(*protocol.ControlBatch)
		for {
			r, err := batch.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, offset, fmt.Errorf("reading fetched records: %w", err)
			}
			next = max(next, r.Offset+1)
			if control || r.Offset < offset {
				// A transaction marker, or the part of a batch before the
				// offset asked for: not a message.
				closeBytes(r.Key)
				closeBytes(r.Value)
				continue
			}
			f.pending = append(f.pending, *r)
			size += bytesLen(r.Key) + bytesLen(r.Value)
		}
	}
	if len(f.pending) == 0 {
		if next == offset && len(bs) > 0 && offset < resp.HighWatermark {
			// The broker returned the batch holding offset, and nothing in it
			// is at or after offset: log compaction removed the batch's last
			// records and kept its offsets (their number is in the batch
			// header, which kafka-go's decoding drops). offset no longer
			// exists; step over it, as kafka-go's own reader does.
			next = offset + 1
		}
		return nil, next, nil
	}
	buf := make([]byte, size)
	msgs := make([]kafkago.Message, len(f.pending))
	for i := range f.pending {
		r := &f.pending[i]
		m := &msgs[i]
		*m = kafkago.Message{
			Topic: f.cfg.topic, Partition: f.cfg.partition, Offset: r.Offset, HighWaterMark: resp.HighWatermark,
			Time: r.Time, Headers: r.Headers,
		}
		var err error
		if m.Key, buf, err = copyOut(r.Key, buf); err != nil {
			return nil, offset, err
		}
		if m.Value, buf, err = copyOut(r.Value, buf); err != nil {
			return nil, offset, err
		}
	}
	return msgs, next, nil
}

// batches lists the record batches of a fetch response: kafka-go decodes
// a response holding any into a RecordStream.
func batches(rr kafkago.RecordReader) []kafkago.RecordReader {
	if s, ok := rr.(*protocol.RecordStream); ok {
		return s.Records
	}
	return nil
}

// copyOut reads b into the front of buf and returns it and the rest of
// buf; nil for a null b.
func copyOut(b protocol.Bytes, buf []byte) (out, rest []byte, err error) {
	if b == nil {
		return nil, buf, nil
	}
	n := b.Len()
	out, rest = buf[:n:n], buf[n:]
	if _, err := io.ReadFull(b, out); err != nil {
		return nil, rest, fmt.Errorf("reading a fetched record: %w", err)
	}
	return out, rest, nil
}

func bytesLen(b protocol.Bytes) int {
	if b == nil {
		return 0
	}
	return b.Len()
}

func closeBytes(b protocol.Bytes) {
	if b != nil {
		_ = b.Close()
	}
}

// discard releases the pages of records not read.
func discard(rr kafkago.RecordReader) {
	for _, batch := range batches(rr) {
		for {
			r, err := batch.ReadRecord()
			if err != nil {
				break
			}
			closeBytes(r.Key)
			closeBytes(r.Value)
		}
	}
}
