package article

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sample is an article in the sample text format: optional leading space, the
// word "date", an ISO year, year-month or date, then the body. Blank lines
// separate paragraphs; short lines without final punctuation are subheadings.
type Sample struct {
	Published  string // canonical ISO 8601, empty when the file has no header
	Paragraphs []Paragraph
}

// Paragraph is one block of the body.
type Paragraph struct {
	Text       string
	Subheading bool
}

// ErrEmptySample reports a sample file without body text.
var ErrEmptySample = errors.New("sample has no body text")

// ParseSample parses the sample text format. A file without a date header is
// accepted as body text with no publication date.
func ParseSample(data []byte) (Sample, error) {
	if !utf8.Valid(data) {
		return Sample{}, &DecodeError{Err: ErrInvalidUTF8}
	}
	s := strings.TrimLeftFunc(string(data), isBlank)
	if strings.IndexByte(s, 0) >= 0 {
		return Sample{}, &DecodeError{Err: ErrNUL}
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var out Sample
	if word, after, ok := cutWord(s); ok && strings.EqualFold(word, "date") {
		value, body, _ := cutWord(after)
		published, _, err := ParseDate(value)
		if err != nil {
			return Sample{}, &DecodeError{Field: "date header", Err: err}
		}
		out.Published = published
		s = body
	}
	out.Paragraphs = Paragraphs(s)
	if len(out.Paragraphs) == 0 {
		return Sample{}, &DecodeError{Field: "body", Err: ErrEmptySample}
	}
	return out, nil
}

// cutWord splits off the first run of non-space characters and the space
// after it (spaces and tabs only, so a header never swallows a paragraph break).
func cutWord(s string) (word, rest string, ok bool) {
	s = strings.TrimLeft(s, " \t")
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, "", s != ""
	}
	return s[:i], strings.TrimLeft(s[i:], " \t"), true
}

// Body joins the paragraphs the way raw articles carry them: one blank line
// between paragraphs.
func (s Sample) Body() string {
	texts := make([]string, len(s.Paragraphs))
	for i, p := range s.Paragraphs {
		texts[i] = p.Text
	}
	return strings.Join(texts, "\n\n")
}

// Paragraphs splits text at blank lines, trims each block and marks
// subheadings. Taggers use it to treat subheadings apart from prose.
func Paragraphs(text string) []Paragraph {
	var out []Paragraph
	for _, block := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
		block = strings.TrimFunc(block, isBlank)
		if block == "" {
			continue
		}
		out = append(out, Paragraph{Text: block, Subheading: IsSubheading(block)})
	}
	return out
}

// isBlank reports white space and the byte-order mark, which editors leave
// at the start of files and which carries no text.
func isBlank(r rune) bool { return unicode.IsSpace(r) || r == '\uFEFF' }

// MaxSubheadingRunes is the longest line still taken for a subheading.
const MaxSubheadingRunes = 100

// IsSubheading reports whether a paragraph reads as a subheading: one short
// line that does not end in sentence punctuation.
func IsSubheading(p string) bool {
	p = strings.TrimFunc(p, isBlank)
	if p == "" || strings.ContainsRune(p, '\n') || utf8.RuneCountInString(p) > MaxSubheadingRunes {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(p)
	return !strings.ContainsRune(".!?:;…\"'”’»)", last)
}

// String renders a sample back in its file format.
func (s Sample) String() string {
	if s.Published == "" {
		return s.Body() + "\n"
	}
	return fmt.Sprintf("date %s %s\n", s.Published, s.Body())
}
