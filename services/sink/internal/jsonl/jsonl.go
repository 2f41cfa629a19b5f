// Package jsonl is the JSON Lines format of the file sink: one enriched
// article per line, as consumed, with its Kafka position added as _kafka,
// optionally gzipped. Layout, naming and replay rules are package files'.
package jsonl

import (
	"bufio"
	"bytes"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
)

// Format writes JSON Lines, gzipped when Gzip is set.
type Format struct {
	Gzip bool
}

// Ext is .jsonl or .jsonl.gz.
func (f Format) Ext() string {
	if f.Gzip {
		return ".jsonl.gz"
	}
	return ".jsonl"
}

// Plain reports that a staging file in offset order is already a finished
// file, so sealing can rename it.
func (f Format) Plain() bool { return !f.Gzip }

// Encode writes one line per record.
func (f Format) Encode(w io.Writer, lines [][]byte) error {
	var zw *gzip.Writer
	if f.Gzip {
		zw = gzip.NewWriter(w)
		w = zw
	}
	for _, l := range lines {
		if _, err := w.Write(l); err != nil {
			return err
		}
		if _, err := w.Write([]byte{'\n'}); err != nil {
			return err
		}
	}
	if zw != nil {
		return zw.Close()
	}
	return nil
}

// Decode reads the lines back.
func (f Format) Decode(file *os.File) ([][]byte, error) {
	var r io.Reader = bufio.NewReaderSize(file, 1<<20)
	if f.Gzip {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, err
		}
		defer func() { _ = zr.Close() }()
		r = zr
	}
	data, err := io.ReadAll(r)
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
