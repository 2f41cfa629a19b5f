package store

import (
	"fmt"

	"github.com/newsflow/newsflow/pkg/article"
)

// Limits on the fields stores index. They are far above real values and keep
// a bad message from failing a whole batch at the database, where it would be
// retried forever instead of dead-lettered.
const (
	MaxSourceNameBytes = 1024
	MaxCodeBytes       = 64 // language code, sentiment label, entity type, source type, field
)

// Check refuses what decodes as a valid enriched article but no store can
// hold faithfully: a \u0000 escape or a lone surrogate escape anywhere in the
// document (PostgreSQL's jsonb and text refuse both; other readers would
// silently turn a surrogate into U+FFFD), over-long indexed fields, and
// entity offsets outside any message. The error wraps the article package's
// sentinel errors, so article.Reason names it.
func Check(r Record) error {
	if err := checkEscapes(r.Payload); err != nil {
		return err
	}
	a := r.Article
	if len(a.Source.Name) > MaxSourceNameBytes {
		return &article.DecodeError{Field: "source.name", Err: fmt.Errorf("%w: %d bytes, limit %d", article.ErrInvalidField, len(a.Source.Name), MaxSourceNameBytes)}
	}
	short := []struct{ name, value string }{{"source.type", a.Source.Type}}
	if l := a.Enrichment.Language; l != nil {
		short = append(short, struct{ name, value string }{"enrichment.language.code", l.Code})
	}
	if s := a.Enrichment.Sentiment; s != nil {
		short = append(short, struct{ name, value string }{"enrichment.sentiment.label", s.Label})
	}
	for i, e := range a.Enrichment.Entities {
		field := fmt.Sprintf("enrichment.entities[%d]", i)
		short = append(short, struct{ name, value string }{field + ".type", e.Type}, struct{ name, value string }{field + ".field", e.Field})
		if e.Start < 0 || e.End < e.Start || e.End > article.MaxMessageBytes {
			return &article.DecodeError{Field: field, Err: fmt.Errorf("%w: span %d..%d", article.ErrInvalidField, e.Start, e.End)}
		}
	}
	for _, f := range short {
		if len(f.value) > MaxCodeBytes {
			return &article.DecodeError{Field: f.name, Err: fmt.Errorf("%w: %d bytes, limit %d", article.ErrInvalidField, len(f.value), MaxCodeBytes)}
		}
	}
	return nil
}

// checkEscapes scans JSON text for \u escapes of NUL and for surrogates that
// are not a high-low pair.
func checkEscapes(b []byte) error {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(b) {
				return nil
			}
			if b[i+1] != 'u' {
				i++ // a one-character escape
				continue
			}
			v, ok := hex4(b, i+2)
			if !ok {
				return nil // malformed; the decoder has refused it already
			}
			switch {
			case v == 0:
				return &article.DecodeError{Err: fmt.Errorf("%w: \\u0000 escape at byte %d", article.ErrNUL, i)}
			case v >= 0xDC00 && v <= 0xDFFF:
				return &article.DecodeError{Err: fmt.Errorf("%w: lone low surrogate escape at byte %d", article.ErrInvalidUTF8, i)}
			case v >= 0xD800 && v <= 0xDBFF:
				lo, ok := uint16(0), false
				if i+11 < len(b) && b[i+6] == '\\' && b[i+7] == 'u' {
					lo, ok = hex4(b, i+8)
				}
				if !ok || lo < 0xDC00 || lo > 0xDFFF {
					return &article.DecodeError{Err: fmt.Errorf("%w: lone high surrogate escape at byte %d", article.ErrInvalidUTF8, i)}
				}
				i += 11
				continue
			}
			i += 5
		}
	}
	return nil
}

func hex4(b []byte, at int) (uint16, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var v uint16
	for _, c := range b[at : at+4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint16(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint16(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v |= uint16(c-'A') + 10
		default:
			return 0, false
		}
	}
	return v, true
}
