// Package files writes enriched articles to files for downstream tools
// (DuckDB, pandas, Spark, object-store loaders): JSON Lines, gzipped JSON
// Lines or Parquet, laid out by date, with names fixed by topic, partition
// and offset range so that a replay never writes an article twice.
//
// # Layout
//
//	<dir>/<topic>/date=<YYYY-MM-DD>/p<partition>-<first offset>-<last offset>.<ext>
//	<dir>/_staging/<topic>/date=<YYYY-MM-DD>/p<partition>-<first offset>.jsonl
//
// The date is the UTC day of the article's ingested_at. It is part of the
// message, so it is the same every time the message at an offset is read,
// and a re-enriched copy of an article (a new offset, same ingested_at)
// lands beside the old one; date=... is a Hive-style key that DuckDB,
// pyarrow and Spark turn into a column. Offsets are zero-padded to 20
// digits, so names sort in offset order.
//
// # Parts
//
// Within one topic, date and partition, records go to parts, each a range of
// offsets. A part is open while it grows: its records are appended to a file
// under _staging (fsynced before Write returns, so offsets are committed only
// for durable records) and it is not visible to readers. A part is sealed
// when it reaches MaxBytes, when it has been open for MaxAge, when too many
// parts are open, or when the store closes: it is then written once in the
// output format to a temporary file in its date directory and renamed to its
// final name (a plain JSON Lines part in offset order is simply renamed).
// Published files are complete and never grow; readers never see a partial
// file.
//
// # Why replays write nothing twice
//
// The records at a Kafka offset never change, and each offset belongs to
// exactly one part: the published parts (their ranges are in their names)
// and the open parts (their first offset is in their staging name) are the
// index. A record whose offset a part already holds is skipped, so a replay,
// a redelivery after a crash, or a restart from an older committed offset
// leaves every file as it was. A record that falls inside a sealed part's
// range but is not in it (it was still in flight when the part was sealed)
// is merged into that part, which is rewritten under the same name. One
// between parts (a replay into a directory some files were deleted from)
// becomes a part of its own. Where parts start and end depends on arrival
// and timing the first time (size, age); after that it is fixed on disk,
// and that is what makes replays deterministic. Only one sink may write a
// directory at a time: Open takes a lock on <dir>/.lock.
package files

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Format encodes sealed parts.
type Format interface {
	// Ext is the file name extension, with its dot: ".jsonl", ".parquet".
	Ext() string
	// Encode writes the staged lines (see Line), in offset order, as one file.
	Encode(w io.Writer, lines [][]byte) error
	// Decode returns the staged lines of a file Encode wrote.
	Decode(f *os.File) ([][]byte, error)
}

// Options configure a Store.
type Options struct {
	Format   Format
	MaxBytes int64         // staged bytes that seal a part (default 64 MiB)
	MaxAge   time.Duration // how long a part stays open (default 1m)
	MaxOpen  int           // open parts at most; the least recently written is sealed (default 64)
	Now      func() time.Time
}

func (o *Options) setDefaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Minute
	}
	if o.MaxOpen <= 0 {
		o.MaxOpen = 64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Store writes parts under a directory.
type Store struct {
	dir  string
	opt  Options
	lock *os.File

	mu      sync.Mutex
	open    map[key]*part
	dates   map[dateKey]*dateIndex // published parts, per topic and date
	held    map[string]map[int64]bool
	heldLRU []string
	closed  bool
	stop    chan struct{}
	stopped chan struct{}
	sealErr error // the last background sealing error, reported by the next Write
}

type key struct {
	topic, date string
	part        int
}

type dateKey struct{ topic, date string }

// segment is a published part.
type segment struct {
	first, last int64
	path        string
}

type dateIndex struct {
	parts   map[int][]segment // by partition, sorted by first
	touched time.Time
}

// part is an open part.
type part struct {
	key         key
	first, last int64
	path        string
	f           *os.File
	bytes       int64
	offsets     map[int64]bool
	sorted      bool
	opened      time.Time
	written     time.Time
}

// Open returns a store writing under dir, recovering the open parts a
// previous run left in _staging.
func Open(dir string, opt Options) (*Store, error) {
	opt.setDefaults()
	if opt.Format == nil {
		return nil, errors.New("files: a format is required")
	}
	if err := os.MkdirAll(filepath.Join(dir, stagingDir), 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("locking %s: another sink is writing there (%w)", dir, err)
	}
	s := &Store{dir: dir, opt: opt, lock: lock, open: map[key]*part{}, dates: map[dateKey]*dateIndex{},
		held: map[string]map[int64]bool{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	if err := s.recover(); err != nil {
		lock.Close()
		return nil, err
	}
	go s.sealLoop()
	return s, nil
}

const stagingDir = "_staging"

// Dir is the directory the store writes under.
func (s *Store) Dir() string { return s.dir }

// Write appends the records to their open parts, durably, skipping offsets
// already written. Records must have distinct offsets per topic and
// partition (the sink hands each offset once per batch).
func (s *Store) Write(ctx context.Context, recs []store.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("files: store closed")
	}
	if err := s.sealErr; err != nil {
		s.sealErr = nil
		return fmt.Errorf("%w: sealing parts: %w", store.ErrUnavailable, err)
	}
	now := s.opt.Now()
	if err := s.sealExpired(now); err != nil {
		return err
	}
	groups := map[key][]store.Record{}
	for _, r := range recs {
		if err := checkTopic(r.Topic); err != nil {
			return err
		}
		k := key{r.Topic, r.Article.IngestedAt.UTC().Format(time.DateOnly), r.Part}
		groups[k] = append(groups[k], r)
	}
	keys := make([]key, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	appends := map[*part]*pending{}
	var groupBytes int // of the group being placed, to size its buffer once
	add := func(op *part, r store.Record) {
		a := appends[op]
		if a == nil {
			a = &pending{part: op, buf: make([]byte, 0, groupBytes)}
			appends[op] = a
		}
		a.buf = appendLine(a.buf, r)
		a.offsets = append(a.offsets, r.Offset)
	}
	merges := map[string][][]byte{} // published path -> lines to merge
	mergeSeg := map[string]segment{}
	var gaps []gap
	for _, k := range keys {
		g := groups[k]
		sort.Slice(g, func(i, j int) bool { return g[i].Offset < g[j].Offset })
		g = slices.CompactFunc(g, func(a, b store.Record) bool { return a.Offset == b.Offset })
		idx, err := s.index(k.topic, k.date)
		if err != nil {
			return err
		}
		segs := idx.parts[k.part]
		groupBytes = 0
		for _, r := range g {
			groupBytes += len(r.Payload) + lineExtra
		}
		for _, r := range g {
			i := sort.Search(len(segs), func(i int) bool { return segs[i].first > r.Offset }) - 1
			if i >= 0 && segs[i].last >= r.Offset {
				held, err := s.heldBy(segs[i])
				if err != nil {
					return err
				}
				if !held[r.Offset] {
					merges[segs[i].path] = append(merges[segs[i].path], Line(r))
					mergeSeg[segs[i].path] = segs[i]
				}
				continue
			}
			op := s.open[k]
			switch {
			case op != nil && r.Offset >= op.first:
				if !op.offsets[r.Offset] {
					add(op, r)
				}
			case i+1 < len(segs) || (op != nil && r.Offset < op.first):
				// Between parts: a part of its own, bounded by the next one.
				var next int64
				if i+1 < len(segs) {
					next = segs[i+1].first
				} else {
					next = op.first
				}
				if n := len(gaps); n > 0 && gaps[n-1].key == k && gaps[n-1].next == next {
					gaps[n-1].lines = append(gaps[n-1].lines, Line(r))
					gaps[n-1].last = r.Offset
				} else {
					gaps = append(gaps, gap{key: k, next: next, first: r.Offset, last: r.Offset, lines: [][]byte{Line(r)}})
				}
			default:
				op, err = s.openPart(k, r.Offset, now)
				if err != nil {
					return err
				}
				add(op, r)
			}
		}
	}
	if err := s.appendAll(appends, now); err != nil {
		return err
	}
	for _, g := range gaps {
		if err := s.publish(g.key, g.first, g.last, g.lines); err != nil {
			return err
		}
	}
	for path, lines := range merges {
		if err := s.merge(mergeSeg[path], lines); err != nil {
			delete(s.held, path) // re-read on the next write
			return err
		}
	}
	// Seal what grew too big, and the least recently written parts beyond
	// MaxOpen.
	for _, op := range s.openParts() {
		if op.bytes >= s.opt.MaxBytes {
			if err := s.seal(op); err != nil {
				return err
			}
		}
	}
	if len(s.open) > s.opt.MaxOpen {
		parts := s.openParts()
		sort.Slice(parts, func(i, j int) bool { return parts[i].written.Before(parts[j].written) })
		for _, op := range parts[:len(parts)-s.opt.MaxOpen] {
			if err := s.seal(op); err != nil {
				return err
			}
		}
	}
	return nil
}

type gap struct {
	key         key
	next        int64
	first, last int64
	lines       [][]byte
}

func keyLess(a, b key) bool {
	if a.topic != b.topic {
		return a.topic < b.topic
	}
	if a.date != b.date {
		return a.date < b.date
	}
	return a.part < b.part
}

func checkTopic(t string) error {
	if t == "" || t == "." || t == ".." || t == stagingDir || strings.ContainsAny(t, "/\\\x00") {
		return fmt.Errorf("files: topic %q cannot name a directory", t)
	}
	return nil
}

func (s *Store) openParts() []*part {
	out := make([]*part, 0, len(s.open))
	for _, op := range s.open {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return keyLess(out[i].key, out[j].key) })
	return out
}

// Path is the published file of a part.
func (s *Store) Path(k key, first, last int64) string {
	return filepath.Join(s.dir, k.topic, "date="+k.date, fmt.Sprintf("p%03d-%020d-%020d%s", k.part, first, last, s.opt.Format.Ext()))
}

func (s *Store) stagingPath(k key, first int64) string {
	return filepath.Join(s.dir, stagingDir, k.topic, "date="+k.date, fmt.Sprintf("p%03d-%020d.jsonl", k.part, first))
}

func (s *Store) openPart(k key, first int64, now time.Time) (*part, error) {
	path := s.stagingPath(k, first)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	op := &part{key: k, first: first, last: first, path: path, f: f, offsets: map[int64]bool{}, sorted: true, opened: now, written: now}
	s.open[k] = op
	return op, nil
}

// pending is what one Write appends to an open part.
type pending struct {
	part    *part
	buf     []byte  // the lines, each ending in a line feed
	offsets []int64 // of the lines, in order
	err     error
}

// maxSyncs bounds the part files written and fsynced at once.
const maxSyncs = 16

// appendAll appends to each open part and fsyncs it, the parts at once: a
// batch spans every partition, and one fsync after another would make it
// wait for each in turn where the file system can flush them together.
func (s *Store) appendAll(appends map[*part]*pending, now time.Time) error {
	if len(appends) == 0 {
		return nil
	}
	todo := make([]*pending, 0, len(appends))
	for _, a := range appends {
		todo = append(todo, a)
	}
	sort.Slice(todo, func(i, j int) bool { return keyLess(todo[i].part.key, todo[j].part.key) })
	write := func(a *pending) {
		if _, err := a.part.f.Write(a.buf); err != nil {
			a.err = err
		} else if err := a.part.f.Sync(); err != nil {
			a.err = err
		}
	}
	if len(todo) == 1 {
		write(todo[0])
	} else {
		var wg sync.WaitGroup
		sem := make(chan struct{}, maxSyncs)
		for _, a := range todo {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				write(a)
			}()
		}
		wg.Wait()
	}
	var errs []error
	for _, a := range todo {
		op := a.part
		if a.err != nil {
			errs = append(errs, s.failPart(op, a.err))
			continue
		}
		for _, off := range a.offsets {
			if off < op.last && len(op.offsets) > 0 {
				op.sorted = false
			}
			op.last = max(op.last, off)
			op.offsets[off] = true
		}
		op.bytes += int64(len(a.buf))
		op.written = now
	}
	return errors.Join(errs...)
}

// failPart drops an open part whose file could not be written: it is
// recovered from disk (up to its last complete line) on the next write.
func (s *Store) failPart(op *part, err error) error {
	op.f.Close()
	delete(s.open, op.key)
	if rerr := s.recoverFile(op.path); rerr != nil {
		err = errors.Join(err, rerr)
	}
	return fmt.Errorf("%w: files: appending to %s: %w", store.ErrUnavailable, op.path, err)
}

// seal publishes an open part.
func (s *Store) seal(op *part) error {
	delete(s.open, op.key)
	if err := op.f.Close(); err != nil {
		return fmt.Errorf("%w: files: closing %s: %w", store.ErrUnavailable, op.path, err)
	}
	if op.bytes == 0 {
		return os.Remove(op.path)
	}
	final := s.Path(op.key, op.first, op.last)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return s.resealLater(op, err)
	}
	if p, ok := s.opt.Format.(interface{ Plain() bool }); ok && p.Plain() && op.sorted {
		if err := os.Rename(op.path, final); err != nil {
			return s.resealLater(op, err)
		}
		s.addSegment(op.key, segment{first: op.first, last: op.last, path: final}, op.offsets)
	} else {
		lines, err := readLines(op.path)
		if err != nil {
			return s.resealLater(op, err)
		}
		if err := s.writeFile(final, lines); err != nil {
			return s.resealLater(op, err)
		}
		// Published: from here on the part is sealed, whatever fails next
		// (a leftover staging file is dropped on recovery).
		s.addSegment(op.key, segment{first: op.first, last: op.last, path: final}, op.offsets)
		if err := os.Remove(op.path); err != nil {
			return fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
		}
	}
	if err := errors.Join(syncDir(filepath.Dir(final)), syncDir(filepath.Dir(op.path))); err != nil {
		return fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	return nil
}

// resealLater puts a part whose sealing failed back among the open ones
// (recovered from its staging file), to be sealed on a later write.
func (s *Store) resealLater(op *part, err error) error {
	if rerr := s.recoverFile(op.path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	return fmt.Errorf("%w: files: sealing %s: %w", store.ErrUnavailable, op.path, err)
}

// publish writes a part of its own for records between existing parts.
func (s *Store) publish(k key, first, last int64, lines [][]byte) error {
	path := s.Path(k, first, last)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	if err := s.writeFile(path, lines); err != nil {
		return err
	}
	held := map[int64]bool{}
	for _, l := range lines {
		held[lineOffset(l)] = true
	}
	s.addSegment(k, segment{first: first, last: last, path: path}, held)
	return syncDir(filepath.Dir(path))
}

// merge rewrites a published part with records that were in flight when it
// was sealed.
func (s *Store) merge(seg segment, lines [][]byte) error {
	old, err := s.decode(seg.path)
	if err != nil {
		return err
	}
	all := append(old, lines...)
	sort.SliceStable(all, func(i, j int) bool { return lineOffset(all[i]) < lineOffset(all[j]) })
	if err := s.writeFile(seg.path, all); err != nil {
		return err
	}
	held := s.held[seg.path]
	for _, l := range lines {
		if held != nil {
			held[lineOffset(l)] = true
		}
	}
	return nil
}

// writeFile encodes lines to a temporary file beside path, fsyncs it and
// renames it into place.
func (s *Store) writeFile(path string, lines [][]byte) error {
	sort.SliceStable(lines, func(i, j int) bool { return lineOffset(lines[i]) < lineOffset(lines[j]) })
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := s.opt.Format.Encode(w, lines); err != nil {
		tmp.Close()
		return fmt.Errorf("files: encoding %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("%w: files: writing %s: %w", store.ErrUnavailable, path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("%w: files: syncing %s: %w", store.ErrUnavailable, path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%w: files: renaming into %s: %w", store.ErrUnavailable, path, err)
	}
	return nil
}

func (s *Store) decode(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: files: %w", store.ErrUnavailable, err)
	}
	defer f.Close()
	lines, err := s.opt.Format.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("files: reading %s: %w", path, err)
	}
	return lines, nil
}

// heldBy returns the offsets a published part holds, reading it if need be.
func (s *Store) heldBy(seg segment) (map[int64]bool, error) {
	if h, ok := s.held[seg.path]; ok {
		return h, nil
	}
	lines, err := s.decode(seg.path)
	if err != nil {
		return nil, err
	}
	h := make(map[int64]bool, len(lines))
	for _, l := range lines {
		h[lineOffset(l)] = true
	}
	s.remember(seg.path, h)
	return h, nil
}

const heldCache = 32

func (s *Store) remember(path string, h map[int64]bool) {
	if _, ok := s.held[path]; !ok {
		s.heldLRU = append(s.heldLRU, path)
	}
	s.held[path] = h
	for len(s.heldLRU) > heldCache {
		delete(s.held, s.heldLRU[0])
		s.heldLRU = s.heldLRU[1:]
	}
}

func (s *Store) addSegment(k key, seg segment, held map[int64]bool) {
	if idx, ok := s.dates[dateKey{k.topic, k.date}]; ok {
		segs := append(idx.parts[k.part], seg)
		sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
		idx.parts[k.part] = segs
	}
	s.remember(seg.path, held)
}

const maxDates = 64

// index lists the published parts of a topic and date, once.
func (s *Store) index(topic, date string) (*dateIndex, error) {
	dk := dateKey{topic, date}
	if idx, ok := s.dates[dk]; ok {
		idx.touched = time.Now()
		return idx, nil
	}
	idx := &dateIndex{parts: map[int][]segment{}, touched: time.Now()}
	dir := filepath.Join(s.dir, topic, "date="+date)
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: files: listing %s: %w", store.ErrUnavailable, dir, err)
	}
	ext := s.opt.Format.Ext()
	for _, e := range entries {
		p, first, last, ok := parseName(e.Name(), ext)
		if !ok {
			continue
		}
		idx.parts[p] = append(idx.parts[p], segment{first: first, last: last, path: filepath.Join(dir, e.Name())})
	}
	for _, segs := range idx.parts {
		sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
	}
	if len(s.dates) >= maxDates {
		var oldest dateKey
		var t time.Time
		for k, v := range s.dates {
			if t.IsZero() || v.touched.Before(t) {
				oldest, t = k, v.touched
			}
		}
		delete(s.dates, oldest)
	}
	s.dates[dk] = idx
	return idx, nil
}

// parseName reads p<partition>-<first>-<last><ext>.
func parseName(name, ext string) (part int, first, last int64, ok bool) {
	if !strings.HasPrefix(name, "p") || !strings.HasSuffix(name, ext) {
		return 0, 0, 0, false
	}
	fields := strings.Split(strings.TrimSuffix(name[1:], ext), "-")
	if len(fields) != 3 {
		return 0, 0, 0, false
	}
	p, err1 := strconv.Atoi(fields[0])
	f, err2 := strconv.ParseInt(fields[1], 10, 64)
	l, err3 := strconv.ParseInt(fields[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || l < f {
		return 0, 0, 0, false
	}
	return p, f, l, true
}

// sealExpired seals parts open longer than MaxAge.
func (s *Store) sealExpired(now time.Time) error {
	for _, op := range s.openParts() {
		if now.Sub(op.opened) >= s.opt.MaxAge {
			if err := s.seal(op); err != nil {
				return err
			}
		}
	}
	return nil
}

// sealLoop seals expired parts while no records arrive.
func (s *Store) sealLoop() {
	defer close(s.stopped)
	tick := time.NewTicker(min(s.opt.MaxAge/4+time.Millisecond, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			s.mu.Lock()
			if !s.closed {
				if err := s.sealExpired(s.opt.Now()); err != nil {
					s.sealErr = err
				}
			}
			s.mu.Unlock()
		}
	}
}

// Flush seals every open part, publishing everything written so far.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for _, op := range s.openParts() {
		errs = append(errs, s.seal(op))
	}
	return errors.Join(errs...)
}

// Close seals the open parts and releases the directory. It is idempotent.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	var errs []error
	for _, op := range s.openParts() {
		errs = append(errs, s.seal(op))
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	<-s.stopped
	errs = append(errs, s.lock.Close())
	return errors.Join(errs...)
}

// recover reopens the parts a previous run left open.
func (s *Store) recover() error {
	root := filepath.Join(s.dir, stagingDir)
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".jsonl") {
			if !d.IsDir() && strings.HasPrefix(d.Name(), ".tmp-") {
				return os.Remove(path)
			}
			return nil
		}
		return s.recoverFile(path)
	})
}

// recoverFile reopens one staging file: a torn last line (a crash during an
// append, whose records were never acknowledged) is cut off, and a part
// that was published before the crash removed its staging file is dropped.
func (s *Store) recoverFile(path string) error {
	rel, err := filepath.Rel(filepath.Join(s.dir, stagingDir), path)
	if err != nil {
		return err
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	if len(parts) != 3 || !strings.HasPrefix(parts[1], "date=") {
		return nil
	}
	p, first, ok := parseStagingName(parts[2])
	if !ok {
		return nil // not a staging file of ours
	}
	k := key{parts[0], strings.TrimPrefix(parts[1], "date="), p}
	idx, err := s.index(k.topic, k.date)
	if err != nil {
		return err
	}
	for _, seg := range idx.parts[p] {
		if seg.first == first {
			return os.Remove(path) // sealed before the crash
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	good := bytes.LastIndexByte(data, '\n') + 1
	op := &part{key: k, first: first, last: first, path: path, offsets: map[int64]bool{}, sorted: true,
		opened: s.opt.Now(), written: s.opt.Now(), bytes: int64(good)}
	for l := range bytes.Lines(data[:good]) {
		off := lineOffset(bytes.TrimSuffix(l, []byte("\n")))
		if off < op.last && len(op.offsets) > 0 {
			op.sorted = false
		}
		op.last = max(op.last, off)
		op.offsets[off] = true
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if err := f.Truncate(int64(good)); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Seek(int64(good), io.SeekStart); err != nil {
		f.Close()
		return err
	}
	s.open[k] = op
	op.f = f
	return nil
}

// parseStagingName reads p<partition>-<first>.jsonl.
func parseStagingName(name string) (part int, first int64, ok bool) {
	pstr, fstr, found := strings.Cut(strings.TrimPrefix(strings.TrimSuffix(name, ".jsonl"), "p"), "-")
	p, err1 := strconv.Atoi(pstr)
	f, err2 := strconv.ParseInt(fstr, 10, 64)
	return p, f, found && err1 == nil && err2 == nil
}

func readLines(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for l := range bytes.Lines(data) {
		if l = bytes.TrimSuffix(l, []byte("\n")); len(l) > 0 {
			out = append(out, l)
		}
	}
	return out, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Line is the staged form of a record, and a JSON Lines record: the
// message as consumed, compacted, with its Kafka position added as _kafka.
func Line(r store.Record) []byte {
	line := appendLine(nil, r)
	return line[:len(line)-1]
}

// lineExtra is room for the _kafka position a line adds.
const lineExtra = 96

// appendLine appends Line(r) and a line feed to buf.
func appendLine(buf []byte, r store.Record) []byte {
	obj := store.Compact(r.Payload)
	i := bytes.LastIndexByte(obj, '}')
	buf = append(buf, obj[:i]...)
	buf = append(buf, `,"_kafka":{"topic":`...)
	buf = strconv.AppendQuote(buf, r.Topic)
	buf = append(buf, `,"partition":`...)
	buf = strconv.AppendInt(buf, int64(r.Part), 10)
	buf = append(buf, `,"offset":`...)
	buf = strconv.AppendInt(buf, r.Offset, 10)
	return append(buf, "}}\n"...)
}

// Position is the Kafka position a line carries.
type Position struct {
	Topic     string `json:"topic"`
	Partition int    `json:"partition"`
	Offset    int64  `json:"offset"`
}

var kafkaKey = []byte(`,"_kafka":{`)

// SplitLine undoes Line: the message as consumed (compacted) and its position.
func SplitLine(line []byte) ([]byte, Position, error) {
	i := bytes.LastIndex(line, kafkaKey)
	if i < 0 {
		return nil, Position{}, errors.New("line has no _kafka position")
	}
	var pos Position
	if err := json.Unmarshal(line[i+len(kafkaKey)-1:len(line)-1], &pos); err != nil {
		return nil, Position{}, fmt.Errorf("line's _kafka position: %w", err)
	}
	doc := slices.Concat(line[:i], []byte("}"))
	return doc, pos, nil
}

// lineOffset reads the offset at the end of a line Line wrote.
func lineOffset(line []byte) int64 {
	i := bytes.LastIndex(line, []byte(`"offset":`))
	if i < 0 {
		return -1
	}
	j := i + len(`"offset":`)
	k := j
	for k < len(line) && (line[k] >= '0' && line[k] <= '9' || line[k] == '-') {
		k++
	}
	n, err := strconv.ParseInt(string(line[j:k]), 10, 64)
	if err != nil {
		return -1
	}
	return n
}
