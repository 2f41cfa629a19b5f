package sentiment

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// Sentence is a span of a text field found by Split: UTF-8 byte offsets,
// end exclusive, trimmed of surrounding space.
type Sentence struct {
	Start, End int
	// Subheading is set when the sentence is a whole paragraph that reads as
	// a subheading (article.IsSubheading).
	Subheading bool
}

// abbreviations end in a period without ending a sentence. Lower-case, without
// the final period. Single letters (initials) are handled apart.
var abbreviations = map[string]bool{
	// en
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true, "st": true,
	"gen": true, "gov": true, "sen": true, "rep": true, "col": true, "lt": true, "sgt": true, "capt": true,
	"inc": true, "corp": true, "ltd": true, "co": true, "no": true, "vs": true, "etc": true, "e.g": true,
	"i.e": true, "u.s": true, "u.k": true, "u.n": true, "jan": true, "feb": true, "mar": true, "apr": true,
	"jun": true, "jul": true, "aug": true, "sep": true, "sept": true, "oct": true, "nov": true, "dec": true,
	"approx": true, "est": true, "dept": true, "fig": true, "vol": true, "rev": true, "hon": true,
	// nl
	"dhr": true, "mevr": true, "mw": true, "drs": true, "ir": true, "ing": true, "mr.drs": true, "bijv": true,
	"bv": true, "o.a": true, "d.w.z": true, "z.g.a.n": true, "ca": true, "nr": true, "blz": true, "resp": true,
	"m.b.t": true, "t.o.v": true, "i.p.v": true, "enz": true, "jl": true, "a.s": true, "evt": true,
	// de
	"hr": true, "fr": true, "z.b": true, "bzw": true, "ggf": true, "usw": true, "u.a": true, "d.h": true,
	"s.o": true, "vgl": true, "inkl": true, "zzgl": true, "ca.": true, "evtl": true, "bspw": true, "sog": true,
	"str": true, "abs": true, "mio": true, "mrd": true,
	// fr
	"m": true, "mm": true, "mme": true, "mmes": true, "mlle": true, "me": true, "av": true, "bd": true,
	"env": true, "cf": true, "p.ex": true,
	// es
	"sra": true, "srta": true, "dra": true, "ud": true, "uds": true, "pág": true, "núm": true, "av.": true,
	"aprox": true, "ee.uu": true, "ej": true, "p.ej": true, "cía": true, "s.a": true,
}

// Split finds the sentences of a text field. Paragraphs (blank-line separated
// blocks) never share a sentence; a paragraph that reads as a subheading is
// one sentence. Within a paragraph a sentence ends at . ! ? or … (with any
// closing quotes or brackets) before white space and a letter that can start
// a sentence; abbreviations, initials and numbers do not end one.
func Split(text string) []Sentence {
	return appendSentences(nil, text)
}

func appendSentences(out []Sentence, text string) []Sentence {
	for start := 0; start < len(text); {
		end := paragraphEnd(text, start)
		out = appendParagraph(out, text, start, end)
		start = end
	}
	return out
}

// paragraphEnd returns the end of the paragraph starting at start: the first
// blank line (a newline, optional spaces, a newline) or the end of text.
func paragraphEnd(text string, start int) int {
	for i := start; i < len(text); i++ {
		if text[i] != '\n' {
			continue
		}
		j := i + 1
		for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
			j++
		}
		if j < len(text) && text[j] == '\n' {
			return j + 1
		}
	}
	return len(text)
}

func appendParagraph(out []Sentence, text string, start, end int) []Sentence {
	s, e := trimSpan(text, start, end)
	if s >= e {
		return out
	}
	if article.IsSubheading(text[s:e]) {
		return append(out, Sentence{Start: s, End: e, Subheading: true})
	}
	sentStart := s
	for i := s; i < e; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isTerminal(r) {
			i += size
			continue
		}
		j := i + size
		// Runs like "?!" or "..." end together.
		for j < e {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !isTerminal(r2) {
				break
			}
			j += s2
		}
		// Closing quotes and brackets belong to the sentence they close.
		for j < e {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !isCloser(r2) {
				break
			}
			j += s2
		}
		if j < e && boundary(text, sentStart, i, r, j, e) {
			if ss, se := trimSpan(text, sentStart, j); ss < se {
				out = append(out, Sentence{Start: ss, End: se})
			}
			sentStart = j
		}
		i = j
	}
	if ss, se := trimSpan(text, sentStart, e); ss < se {
		out = append(out, Sentence{Start: ss, End: se})
	}
	return out
}

// boundary reports whether the terminal punctuation r at i (its run and
// closers ending at j) ends a sentence.
func boundary(text string, sentStart, i int, r rune, j, end int) bool {
	// White space must follow.
	r2, _ := utf8.DecodeRuneInString(text[j:])
	if !unicode.IsSpace(r2) {
		return false
	}
	k := j
	for k < end {
		rk, sk := utf8.DecodeRuneInString(text[k:])
		if !unicode.IsSpace(rk) {
			break
		}
		if rk == '\n' {
			// A line break after terminal punctuation ends the sentence.
			return true
		}
		k += sk
	}
	if k >= end {
		return true
	}
	next, _ := utf8.DecodeRuneInString(text[k:])
	if !canStart(next) {
		return false
	}
	if r != '.' {
		return true
	}
	// A period: not after an abbreviation, an initial or an ordinal number.
	w := wordBefore(text, sentStart, i)
	if w == "" {
		return true
	}
	if utf8.RuneCountInString(w) == 1 {
		wr, _ := utf8.DecodeRuneInString(w)
		if unicode.IsUpper(wr) {
			return false // an initial: "J. Smith"
		}
	}
	if abbreviations[strings.ToLower(w)] {
		return false
	}
	// German and Dutch ordinals ("am 3. Oktober") before a lower-case word
	// were handled by canStart; a number before an upper-case word ends.
	return true
}

// wordBefore returns the run of letters, digits and inner periods right
// before position i.
func wordBefore(text string, lo, i int) string {
	k := i
	for k > lo {
		r, size := utf8.DecodeLastRuneInString(text[lo:k])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' {
			break
		}
		k -= size
	}
	return strings.Trim(text[k:i], ".")
}

func isTerminal(r rune) bool { return r == '.' || r == '!' || r == '?' || r == '…' }

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', '«', ')', ']', '›':
		return true
	}
	return false
}

// canStart reports whether a sentence can start with r: an upper-case
// letter, a digit, an opening quote or bracket, or inverted punctuation.
func canStart(r rune) bool {
	if unicode.IsUpper(r) || unicode.IsDigit(r) {
		return true
	}
	switch r {
	case '"', '\'', '“', '‘', '„', '«', '»', '(', '[', '¿', '¡', '-', '–', '—', '‹', '›':
		return true
	}
	// Scripts without case start a sentence with any letter.
	return unicode.IsLetter(r) && !unicode.IsLower(r)
}

func trimSpan(text string, s, e int) (int, int) {
	for s < e {
		r, size := utf8.DecodeRuneInString(text[s:e])
		if !unicode.IsSpace(r) {
			break
		}
		s += size
	}
	for e > s {
		r, size := utf8.DecodeLastRuneInString(text[s:e])
		if !unicode.IsSpace(r) {
			break
		}
		e -= size
	}
	return s, e
}
