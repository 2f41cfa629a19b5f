// Package files turns files into raw articles: sample-format .txt files
// (one article each) and JSON Lines files of raw articles in our schema or
// with news-please's field names (one per line).
package files

import (
	"bufio"
	"bytes"
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
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// Item is one article read from a file, or the reason it was refused.
type Item struct {
	Article *article.Raw
	Data    []byte // the article encoded for the wire
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
// fields, any of which may be missing and are then filled in, or
// news-please's fields (title, maintext, date_publish, language, url,
// source_domain, description).
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

	Maintext     *string `json:"maintext"`
	Description  *string `json:"description"`
	DatePublish  *string `json:"date_publish"`
	Language     *string `json:"language"`
	SourceDomain *string `json:"source_domain"`
	TitlePage    *string `json:"title_page"`
	TitleRSS     *string `json:"title_rss"`
}

// newsPlease reports whether a line uses news-please's field names.
func (l *line) newsPlease() bool {
	return l.Body == "" && (l.Maintext != nil || l.DatePublish != nil || l.SourceDomain != nil)
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
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
		raw, err := ReadLine(r, article.MaxMessageBytes)
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
		if Blank(raw) {
			continue
		}
		if err := emit(FromLine(raw, LineSource(base, n), now, where)); err != nil {
			return err
		}
	}
}

// Blank reports whether a line holds only white space.
func Blank(raw []byte) bool {
	return len(bytes.TrimSpace(raw)) == 0
}

// ReadLine reads one line without its line ending, refusing (and skipping)
// lines over limit with article.ErrTooLarge. At the end of the input it
// returns io.EOF, with the last line if it had no line ending.
func ReadLine(r *bufio.Reader, limit int) ([]byte, error) {
	line, _, err := ReadLineN(r, limit)
	return line, err
}

// ReadLineN is ReadLine that also says how many bytes it consumed, line
// ending included, so a reader can record where the next line starts.
func ReadLineN(r *bufio.Reader, limit int) ([]byte, int, error) {
	var buf []byte
	n := 0
	over := false
	for {
		chunk, err := r.ReadSlice('\n')
		n += len(chunk)
		if !over && len(buf)+len(chunk) <= limit+2 {
			buf = append(buf, chunk...)
		} else {
			over = true
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		buf = bytes.TrimSuffix(buf, []byte("\r"))
		if over || len(buf) > limit {
			if err == nil {
				err = fmt.Errorf("%w: line is over %d bytes", article.ErrTooLarge, limit)
			} else {
				err = fmt.Errorf("%w: line is over %d bytes (%w)", article.ErrTooLarge, limit, err)
			}
			return nil, n, err
		}
		return buf, n, err
	}
}

// LineSource is the source of an article read from line n of a JSON Lines
// file, when the line does not give one.
func LineSource(base string, n int) article.Source {
	return article.Source{Type: "jsonl", Name: base, URI: fmt.Sprintf("file:%s#L%d", base, n)}
}

// FromLine turns one JSON Lines line into an article: our schema (missing
// id, schema version, source and ingest time filled in) or news-please's
// fields. src is the source when the line does not say; where names the
// line in errors.
func FromLine(raw []byte, src article.Source, now time.Time, where string) Item {
	// The byte-level rules of article.DecodeRaw: encoding/json would
	// silently replace invalid UTF-8.
	if len(raw) > article.MaxMessageBytes {
		return Item{Where: where, Err: &article.DecodeError{Err: fmt.Errorf("%w: %d bytes", article.ErrTooLarge, len(raw))}}
	}
	if !utf8.Valid(raw) {
		return Item{Where: where, Err: &article.DecodeError{Err: article.ErrInvalidUTF8}}
	}
	if bytes.IndexByte(raw, 0) >= 0 {
		return Item{Where: where, Err: &article.DecodeError{Err: article.ErrNUL}}
	}
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return Item{Where: where, Err: &article.DecodeError{Err: fmt.Errorf("%w: a line must be one JSON object", article.ErrMalformed)}}
	}
	var l line
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&l); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Item{Where: where, Err: &article.DecodeError{Field: te.Field, Err: fmt.Errorf("%w: want %s, got %s", article.ErrInvalidField, te.Type, te.Value)}}
		}
		return Item{Where: where, Err: &article.DecodeError{Err: fmt.Errorf("%w: %w", article.ErrMalformed, err)}}
	}
	if dec.More() {
		return Item{Where: where, Err: &article.DecodeError{Err: fmt.Errorf("%w: trailing data after the object", article.ErrMalformed)}}
	}
	if l.newsPlease() {
		return fromNewsPlease(&l, src, now, where)
	}
	a := &article.Raw{
		SchemaVersion: article.SchemaVersion,
		ID:            l.ID,
		URL:           l.URL,
		Title:         l.Title,
		Body:          l.Body,
		LangHint:      l.LangHint,
		IngestedAt:    now,
		Source:        src,
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
		p, _, err := article.NormaliseDate(l.Published)
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

// fromNewsPlease maps news-please's fields: maintext (or, without it, the
// description) is the body, date_publish the publication date,
// source_domain the source name.
func fromNewsPlease(l *line, src article.Source, now time.Time, where string) Item {
	a := &article.Raw{
		SchemaVersion: article.SchemaVersion,
		URL:           strings.TrimSpace(l.URL),
		Title:         strings.TrimSpace(l.Title),
		Body:          str(l.Maintext),
		LangHint:      str(l.Language),
		IngestedAt:    now,
		Source:        src,
	}
	if d := str(l.SourceDomain); d != "" {
		a.Source.Name = d
	}
	if a.Title == "" {
		a.Title = str(l.TitlePage)
	}
	if a.Title == "" {
		a.Title = str(l.TitleRSS)
	}
	if a.Body == "" {
		a.Body = str(l.Description)
	}
	if d := str(l.DatePublish); d != "" {
		p, _, err := article.NormaliseDate(d)
		if err != nil {
			return Item{Where: where, Err: &article.DecodeError{Field: "date_publish", Err: err}}
		}
		a.Published = p
	}
	a.ID = article.ID(a.URL, "", "", a.Title, a.Body)
	return finish(a, where)
}

func finish(a *article.Raw, where string) Item {
	if err := a.Validate(); err != nil {
		return Item{Where: where, Err: err}
	}
	data, err := article.Encode(a)
	if err != nil {
		return Item{Where: where, Err: err}
	}
	return Item{Article: a, Data: data, Where: where}
}
