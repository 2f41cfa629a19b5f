// Package files turns files into raw articles: sample-format .txt files
// (one article each) and JSON Lines files of raw articles (one per line).
package files

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// Item is one article read from a file, or the reason it was refused.
type Item struct {
	Article *article.Raw
	Where   string // file, or file:line
	Err     error  // why the item was refused; Article is nil then
}

// List returns the .txt and .jsonl files under each path (a file or a
// directory, walked recursively), sorted, each once.
func List(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
		if !info.IsDir() {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != p {
				return filepath.SkipDir
			}
			if !d.IsDir() && Supported(path) && !seen[path] {
				seen[path] = true
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walking %s: %w", p, err)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Supported reports whether a file has a format ingest reads.
func Supported(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt", ".jsonl", ".ndjson":
		return true
	}
	return false
}

// MaxFileBytes caps a sample file; a bigger file is refused, not truncated.
const MaxFileBytes = 4 << 20

// Read reads the articles of one file and calls emit for each item, in order.
func Read(path string, now time.Time, emit func(Item) error) error {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".txt":
		return emit(readSample(path, now))
	case ".jsonl", ".ndjson":
		return readJSONL(path, now, emit)
	}
	return emit(Item{Where: path, Err: fmt.Errorf("unsupported file type %q", filepath.Ext(path))})
}

func readSample(path string, now time.Time) Item {
	f, err := os.Open(path)
	if err != nil {
		return Item{Where: path, Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return Item{Where: path, Err: err}
	}
	if len(data) > MaxFileBytes {
		return Item{Where: path, Err: fmt.Errorf("%w: file is over %d bytes", article.ErrTooLarge, MaxFileBytes)}
	}
	s, err := article.ParseSample(data)
	if err != nil {
		return Item{Where: path, Err: err}
	}
	dir := filepath.Base(filepath.Dir(path))
	a := &article.Raw{
		SchemaVersion: article.SchemaVersion,
		Source:        article.Source{Type: "file", Name: dir, URI: "file:" + dir + "/" + filepath.Base(path)},
		Body:          s.Body(),
		Published:     s.Published,
		IngestedAt:    now,
	}
	a.ID = article.ID("", "", "", a.Title, a.Body)
	return finish(a, path)
}

// line is a raw article as JSON Lines input may give it: the contract's
// fields, any of which may be missing and are then filled in.
type line struct {
	SchemaVersion *int            `json:"schema_version"`
	ID            string          `json:"id"`
	Source        *article.Source `json:"source"`
	URL           string          `json:"url"`
	Title         string          `json:"title"`
	Body          string          `json:"body"`
	Published     string          `json:"published"`
	IngestedAt    *time.Time      `json:"ingested_at"`
	LangHint      string          `json:"lang_hint"`
}

func readJSONL(path string, now time.Time, emit func(Item) error) error {
	f, err := os.Open(path)
	if err != nil {
		return emit(Item{Where: path, Err: err})
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	base := filepath.Base(path)
	for n := 1; ; n++ {
		raw, err := readLine(r, article.MaxMessageBytes)
		if errors.Is(err, io.EOF) && len(raw) == 0 {
			return nil
		}
		where := fmt.Sprintf("%s:%d", path, n)
		if errors.Is(err, article.ErrTooLarge) {
			if err := emit(Item{Where: where, Err: err}); err != nil {
				return err
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return emit(Item{Where: where, Err: err})
		}
		if len(strings.TrimSpace(string(raw))) == 0 {
			continue
		}
		if err := emit(fromLine(raw, base, n, now, where)); err != nil {
			return err
		}
	}
}

// readLine reads one line, refusing (and skipping) lines over limit.
func readLine(r *bufio.Reader, limit int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) <= limit+1 {
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(buf) > limit {
			return nil, fmt.Errorf("%w: line is over %d bytes", article.ErrTooLarge, limit)
		}
		return []byte(strings.TrimRight(string(buf), "\r\n")), err
	}
}

func fromLine(raw []byte, base string, n int, now time.Time, where string) Item {
	var l line
	if _, err := article.DecodeRaw(raw); err != nil && !fillable(err) {
		return Item{Where: where, Err: err}
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		return Item{Where: where, Err: &article.DecodeError{Err: fmt.Errorf("%w: %v", article.ErrMalformed, err)}}
	}
	a := &article.Raw{
		SchemaVersion: article.SchemaVersion,
		ID:            l.ID,
		URL:           l.URL,
		Title:         l.Title,
		Body:          l.Body,
		LangHint:      l.LangHint,
		IngestedAt:    now,
		Source:        article.Source{Type: "jsonl", Name: base, URI: fmt.Sprintf("file:%s#L%d", base, n)},
	}
	if l.SchemaVersion != nil {
		a.SchemaVersion = *l.SchemaVersion
	}
	if l.Source != nil && l.Source.Type != "" {
		a.Source = *l.Source
	}
	if l.IngestedAt != nil && !l.IngestedAt.IsZero() {
		a.IngestedAt = *l.IngestedAt
	}
	if l.Published != "" {
		p, _, err := article.ParseDate(l.Published)
		if err != nil {
			return Item{Where: where, Err: &article.DecodeError{Field: "published", Err: err}}
		}
		a.Published = p
	}
	if a.ID == "" {
		a.ID = article.ID(a.URL, "", "", a.Title, a.Body)
	}
	return finish(a, where)
}

// fillable reports whether a decode error is about a field ingest fills in
// (id, schema version, source, ingest time), so the line is worth decoding
// leniently; every other error refuses the line as it is.
func fillable(err error) bool {
	var de *article.DecodeError
	if !errors.As(err, &de) {
		return false
	}
	switch de.Field {
	case "id", "schema_version", "source.type", "ingested_at", "published":
		return true
	}
	return false
}

func finish(a *article.Raw, where string) Item {
	if err := a.Validate(); err != nil {
		return Item{Where: where, Err: err}
	}
	if _, err := article.Encode(a); err != nil {
		return Item{Where: where, Err: err}
	}
	return Item{Article: a, Where: where}
}
