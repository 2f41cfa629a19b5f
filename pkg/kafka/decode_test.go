package kafka

import (
	"testing"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// A fetch response's batches, built as kafka-go decodes them.
func response(hw int64, batches ...protocol.RecordReader) *kafkago.FetchResponse {
	return &kafkago.FetchResponse{HighWatermark: hw, Records: &protocol.RecordStream{Records: batches}}
}

func batchOf(offsets ...int64) protocol.RecordReader {
	rs := make([]protocol.Record, len(offsets))
	for i, o := range offsets {
		rs[i] = protocol.Record{Offset: o, Key: protocol.NewBytes([]byte{'k', byte('0' + i)}), Value: protocol.NewBytes([]byte{'v', byte('0' + i)})}
	}
	return protocol.NewRecordReader(rs...)
}

func controlBatchAt(offset int64) protocol.RecordReader {
	return &protocol.ControlBatch{BaseOffset: offset, Records: protocol.NewRecordReader(protocol.Record{Offset: offset, Key: protocol.NewBytes([]byte{0, 0, 0, 1})})}
}

// decode turns a fetch into messages at or after the offset asked for, and
// says where to fetch next, also when a fetch gave no message.
func TestDecode(t *testing.T) {
	cases := []struct {
		name    string
		resp    *kafkago.FetchResponse
		offset  int64
		offsets []int64
		next    int64
	}{
		{"whole batch", response(20, batchOf(10, 11, 12)), 10, []int64{10, 11, 12}, 13},
		{"batch starting before the offset", response(20, batchOf(10, 11, 12, 13)), 12, []int64{12, 13}, 14},
		{"two batches", response(20, batchOf(10, 11), batchOf(12, 13)), 11, []int64{11, 12, 13}, 14},
		{"transaction marker after the records", response(20, batchOf(10, 11), controlBatchAt(12)), 10, []int64{10, 11}, 13},
		{"only a transaction marker", response(20, controlBatchAt(12)), 12, nil, 13},
		// Compaction removed 12 and more from the end of the batch but kept
		// their offsets: the broker returns the batch for offset 12.
		{"compacted batch tail", response(20, batchOf(10, 11)), 12, nil, 13},
		{"no batches", &kafkago.FetchResponse{HighWatermark: 12, Records: kafkago.NewRecordReader()}, 12, nil, 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fetcher{cfg: fetchConfig{topic: "t", partition: 3}}
			msgs, next, err := f.decode(c.resp, c.offset)
			if err != nil {
				t.Fatal(err)
			}
			if next != c.next {
				t.Errorf("next offset %d, want %d", next, c.next)
			}
			if len(msgs) != len(c.offsets) {
				t.Fatalf("%d messages, want offsets %v", len(msgs), c.offsets)
			}
			for i, m := range msgs {
				if m.Offset != c.offsets[i] || m.Topic != "t" || m.Partition != 3 || len(m.Key) != 2 || len(m.Value) != 2 || m.Value[0] != 'v' {
					t.Errorf("message %d: %+v, want offset %d with its key and value", i, m, c.offsets[i])
				}
			}
		})
	}
}
