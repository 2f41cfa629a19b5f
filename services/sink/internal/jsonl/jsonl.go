// Package jsonl writes enriched articles to JSON Lines files whose names are
// fixed by topic, partition and offset range, so a replay rewrites the same
// files instead of appending twice.
//
// Each partition's offsets are cut into aligned segments of SegmentSize
// offsets; segment k of partition p is the file
//
//	<dir>/<topic>/p<p>/<first offset>-<last offset>.jsonl
//
// holding the records of that range, in offset order. Every write rewrites
// the touched segments whole (temp file, fsync, rename), so a file is always
// complete and a record lands once however often it is written.
package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// DefaultSegmentSize is the number of offsets one file covers.
const DefaultSegmentSize = 1000

// Store writes segment files under a directory.
type Store struct {
	dir     string
	segSize int64

	mu sync.Mutex
	// open caches the records of segments written recently, so a growing
	// segment is not read back from disk on every batch.
	open map[segKey]map[int64][]byte
}

type segKey struct {
	topic string
	part  int
	first int64
}

// Open returns a store writing under dir.
func Open(dir string, segmentSize int) (*Store, error) {
	if segmentSize <= 0 {
		segmentSize = DefaultSegmentSize
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	return &Store{dir: dir, segSize: int64(segmentSize), open: map[segKey]map[int64][]byte{}}, nil
}

// Path is the file of the segment holding offset off.
func (s *Store) Path(topic string, part int, off int64) string {
	first := off - off%s.segSize
	return filepath.Join(s.dir, topic, fmt.Sprintf("p%03d", part), fmt.Sprintf("%020d-%020d.jsonl", first, first+s.segSize-1))
}

// Write merges the records into their segments and rewrites each touched
// segment atomically. Records are kept as consumed, one per offset.
func (s *Store) Write(ctx context.Context, recs []store.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	touched := map[segKey]bool{}
	for _, r := range recs {
		k := segKey{r.Topic, r.Part, r.Offset - r.Offset%s.segSize}
		seg, err := s.segment(k)
		if err != nil {
			return err
		}
		seg[r.Offset] = compact(r.Payload)
		touched[k] = true
	}
	for k := range touched {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.writeSegment(k); err != nil {
			return err
		}
	}
	// Keep only the newest segment of each partition in memory.
	newest := map[[2]any]int64{}
	for k := range s.open {
		id := [2]any{k.topic, k.part}
		if f, ok := newest[id]; !ok || k.first > f {
			newest[id] = k.first
		}
	}
	for k := range s.open {
		if newest[[2]any{k.topic, k.part}] != k.first {
			delete(s.open, k)
		}
	}
	return nil
}

// segment returns the cached records of a segment, reading its file if needed.
func (s *Store) segment(k segKey) (map[int64][]byte, error) {
	if seg, ok := s.open[k]; ok {
		return seg, nil
	}
	seg := map[int64][]byte{}
	f, err := os.Open(s.Path(k.topic, k.part, k.first))
	if errors.Is(err, fs.ErrNotExist) {
		s.open[k] = seg
		return seg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading segment: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	for sc.Scan() {
		var line struct {
			Kafka struct {
				Offset int64 `json:"offset"`
			} `json:"_kafka"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return nil, fmt.Errorf("reading segment %s: %w", f.Name(), err)
		}
		seg[line.Kafka.Offset] = stripPosition(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading segment %s: %w", f.Name(), err)
	}
	s.open[k] = seg
	return seg, nil
}

func (s *Store) writeSegment(k segKey) error {
	seg := s.open[k]
	offsets := make([]int64, 0, len(seg))
	for off := range seg {
		offsets = append(offsets, off)
	}
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
	path := s.Path(k.topic, k.part, k.first)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating segment directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temp file: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	for _, off := range offsets {
		w.Write(withPosition(seg[off], k.topic, k.part, off))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming into %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Close releases nothing: every write is complete when Write returns.
func (s *Store) Close() error { return nil }

// compact removes insignificant white space so each record is one line.
func compact(b []byte) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return b
	}
	return buf.Bytes()
}

// withPosition appends the Kafka position to a record's JSON object, so
// readers can tell records apart and the store can read its files back.
func withPosition(obj []byte, topic string, part int, off int64) []byte {
	pos := fmt.Sprintf(`,"_kafka":{"topic":%q,"partition":%d,"offset":%d}}`, topic, part, off)
	i := bytes.LastIndexByte(obj, '}')
	if i < 0 {
		return obj
	}
	out := make([]byte, 0, len(obj)+len(pos))
	out = append(out, obj[:i]...)
	return append(out, pos...)
}

// stripPosition undoes withPosition.
func stripPosition(line []byte) []byte {
	i := bytes.LastIndex(line, []byte(`,"_kafka":{`))
	if i < 0 {
		return append([]byte(nil), line...)
	}
	out := append([]byte(nil), line[:i]...)
	return append(out, '}')
}
