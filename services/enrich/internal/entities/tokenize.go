package entities

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is a word or punctuation mark of a text field: UTF-8 byte offsets,
// end exclusive. NewLine says a line break precedes it, which the sentence
// splitter treats as a boundary (titles, subheadings, paragraphs).
type Token struct {
	Start, End int
	NewLine    bool
}

// Tokenize splits news text into tokens the way the CoNLL corpora are
// tokenised: punctuation and quotes apart, hyphenated names (Wit-Rusland),
// initials (J.), abbreviations with inner dots (U.S.) and numbers (1.5, 3,000)
// whole. English possessives and contractions ('s, n't) and Romance elisions
// (l', d', qu') are split off for the languages that write them.
func Tokenize(text, lang string) []Token {
	return appendTokens(nil, text, lang)
}

func appendTokens(toks []Token, text, lang string) []Token {
	keepStops := pretokenised(text)
	newline := false
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' {
			newline = true
			i += size
			continue
		}
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
			i += size
			continue
		}
		j := i
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u200b' || r == '\ufeff' {
				break
			}
			j += size
		}
		n := len(toks)
		toks = splitChunk(toks, text, i, j, lang, keepStops)
		if newline && len(toks) > n {
			toks[n].NewLine = true
		}
		newline = false
		i = j
	}
	return toks
}

// pretokenised says whether text was written with its punctuation set
// apart, as text rebuilt from a tokenised corpus is ("Madrid , 23 may ( EFE
// ) ."): it has commas and full stops standing alone, and hardly a comma
// on the end of a word (full stops on words are abbreviations in either
// kind of text). A full stop left on a word there is part of it, not the
// end of a sentence: CoNLL-2002's Spanish writes "Ministerio de Minas.
// Energía" for "Minas y Energía" throughout. Other marks are split off as
// anywhere: wire copy spaces its commas but not always its colons ("on
// Saturday: Bayern Munich 2 Hamburg 0 , ..." gave "Saturday:" LOC).
func pretokenised(text string) bool {
	apart, attached := 0, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != ',' && c != '.' {
			continue
		}
		if i+1 < len(text) && !isSpaceByte(text[i+1]) {
			continue // inside a word or a number: U.S., 3,5
		}
		switch {
		case i == 0 || isSpaceByte(text[i-1]):
			apart++
		case c == ',':
			attached++
		}
	}
	return apart >= 3 && apart >= 4*attached
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// splitChunk tokenises one whitespace-delimited chunk text[a:b]; with
// keepStop a full stop at its end stays on the word.
func splitChunk(toks []Token, text string, a, b int, lang string, keepStop bool) []Token {
	// Leading punctuation, one mark a token.
	for a < b {
		r, size := utf8.DecodeRuneInString(text[a:])
		if !isOpenPunct(r) || (isApostrophe(r) && a+size < b && (isDigitByte(text[a+size]) || shortClitic(text[a+size:b]))) {
			break
		}
		if a+size == b {
			break
		}
		toks = append(toks, Token{Start: a, End: a + size})
		a += size
	}
	// Trailing punctuation, collected right to left and emitted after the core.
	var tail [8]Token
	nt := 0
	for b > a && nt < len(tail) {
		r, size := utf8.DecodeLastRuneInString(text[a:b])
		if b-size == a {
			break
		}
		if r == '.' {
			// An ellipsis is one token.
			k := b
			for k > a && text[k-1] == '.' {
				k--
			}
			if b-k >= 2 {
				if k == a {
					break
				}
				tail[nt] = Token{Start: k, End: b}
				nt++
				b = k
				continue
			}
			if keepStop || keepsPeriod(text[a:b-1], lang) {
				break
			}
		} else if !isClosePunct(r) {
			break
		}
		tail[nt] = Token{Start: b - size, End: b}
		nt++
		b -= size
	}
	toks = splitCore(toks, text, a, b, lang)
	for k := nt - 1; k >= 0; k-- {
		toks = append(toks, tail[k])
	}
	return toks
}

// splitCore splits clitics off a word: English 's and n't, Romance elision.
func splitCore(toks []Token, text string, a, b int, lang string) []Token {
	if a >= b {
		return toks
	}
	w := text[a:b]
	switch lang {
	case "en":
		for _, suf := range [...]string{"'s", "\u2019s", "'S", "\u2019S"} {
			if len(w) > len(suf) && strings.HasSuffix(w, suf) {
				return append(toks, Token{Start: a, End: b - len(suf)}, Token{Start: b - len(suf), End: b})
			}
		}
		for _, suf := range [...]string{"n't", "n\u2019t", "'ll", "'re", "'ve", "'m", "'d", "\u2019ll", "\u2019re", "\u2019ve", "\u2019m", "\u2019d"} {
			if len(w) > len(suf) && strings.HasSuffix(w, suf) {
				return append(toks, Token{Start: a, End: b - len(suf)}, Token{Start: b - len(suf), End: b})
			}
		}
	case "fr", "it", "ca", "pt":
		if k := elision(w); k > 0 && k < len(w) {
			return splitCore(append(toks, Token{Start: a, End: a + k}), text, a+k, b, lang)
		}
	}
	return append(toks, Token{Start: a, End: b})
}

// elision returns the length of an elided article or pronoun at the start of
// w (l', d', qu', jusqu', dell'), or 0.
func elision(w string) int {
	for i, r := range w {
		if isApostrophe(r) {
			if i == 0 || i > 7 {
				return 0
			}
			next := i + utf8.RuneLen(r)
			if next >= len(w) {
				return 0
			}
			nr, _ := utf8.DecodeRuneInString(w[next:])
			if !unicode.IsLetter(nr) {
				return 0
			}
			switch strings.ToLower(w[:i]) {
			case "l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu",
				"dell", "dall", "nell", "sull", "all", "un", "quell", "quest", "sant":
				return next
			}
			return 0
		}
		if !unicode.IsLetter(r) {
			return 0
		}
	}
	return 0
}

// keepsPeriod says whether a word followed by a period is an abbreviation or
// an initial that keeps it: J., U.S., Mr., art.
func keepsPeriod(w, lang string) bool {
	if w == "" {
		return false
	}
	r, size := utf8.DecodeRuneInString(w)
	if size == len(w) {
		return unicode.IsLetter(r) // initial: J. or a.
	}
	if strings.IndexByte(w, '.') >= 0 {
		// U.S, a.m, Ph.D: letters with inner dots. Numbers (3.5.) lose theirs.
		letters := 0
		for _, r := range w {
			if unicode.IsLetter(r) {
				letters++
			} else if r != '.' {
				return false
			}
		}
		return letters > 0
	}
	_, ok := abbreviations[strings.ToLower(w)]
	return ok
}

// abbreviations keep their period. Titles and common shortenings in the five
// languages; a missed one costs a sentence split, not an entity.
var abbreviations = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(`mr mrs ms dr prof st jr sr gen col lt sgt capt cmdr adm gov sen rep rev hon pres
		co corp inc ltd bros dept univ assn est vs etc approx jan feb mar apr jun jul aug sep sept oct nov dec
		no nos vol fig ft mt
		dhr mevr mw drs ir ing mr burg bijv blz ca nr resp zgn
		bzw ca dipl evtl ggf hr hrn frau nr str usw vgl zb mio mrd sog sogen chr
		mme mlle mm me cie ste sté
		sra srta sres dña dón ud uds av avda pág núm`) {
		m[w] = struct{}{}
	}
	return m
}()

// shortClitic matches the rest of Dutch 's and 't ('s-Hertogenbosch, 't
// Kofschip) and of a detached English 's, in capitals too (a headline's
// "WOMEN 'S WORLD CUP").
func shortClitic(rest string) bool {
	switch rest {
	case "s", "t", "n", "S", "T", "N":
		return true
	}
	return strings.HasPrefix(rest, "s-") || strings.HasPrefix(rest, "S-")
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

func isApostrophe(r rune) bool { return r == '\'' || r == '\u2019' || r == '\u2018' || r == '`' }

func isOpenPunct(r rune) bool {
	switch r {
	case '"', '\'', '\u201c', '\u201d', '\u201e', '\u2018', '\u2019', '\u201a', '\u00ab', '\u00bb', '\u2039', '\u203a',
		'(', '[', '{', '\u00bf', '\u00a1', '*', '\u2014', '\u2013', '`', '#', '@', '<', '>', '|', '\u2022', '\u00b7', '/':
		return r != '#' && r != '@' // keep hashtags and handles whole
	}
	return false
}

func isClosePunct(r rune) bool {
	switch r {
	case '.', ',', ';', ':', '!', '?', '"', '\'', '\u201c', '\u201d', '\u2019', '\u2018', '\u00bb', '\u00ab', '\u203a', '\u2039',
		')', ']', '}', '\u2026', '*', '\u2014', '\u2013', '|', '>', '/':
		return true
	}
	return false
}

// sentenceFinal marks tokens after which a sentence may end.
func sentenceFinal(s string) bool {
	switch s {
	case ".", "!", "?", "\u2026", "...", "?!", "!?":
		return true
	}
	return len(s) > 1 && strings.Trim(s, ".!?") == ""
}

func isQuoteOrBracket(s string) bool {
	switch s {
	case "\"", "'", "\u201d", "\u2019", "\u00bb", ")", "]", "\u203a":
		return true
	}
	return false
}

// Sentences groups tokens into sentences: at line breaks, and after final
// punctuation (with its closing quotes) when the next token does not start
// in lower case. It returns the index of the first token of each sentence
// and appends len(toks) as the last element.
func Sentences(text string, toks []Token) []int {
	return appendSentences(nil, text, toks)
}

func appendSentences(starts []int, text string, toks []Token) []int {
	if len(toks) == 0 {
		return append(starts, 0)
	}
	starts = append(starts, 0)
	for i := 1; i < len(toks); i++ {
		if toks[i].NewLine {
			starts = append(starts, i)
			continue
		}
		prev := text[toks[i-1].Start:toks[i-1].End]
		final := sentenceFinal(prev)
		if final && prev == "." && i >= 2 && toks[i-2].End < toks[i-1].Start &&
			keepsPeriod(text[toks[i-2].Start:toks[i-2].End], "") {
			// A period set apart from an initial or an abbreviation
			// ("Robert R . Livingston", "St . Goar": text rebuilt from a
			// tokenised corpus) belongs to it.
			continue
		}
		if !final && isQuoteOrBracket(prev) && i >= 2 {
			final = sentenceFinal(text[toks[i-2].Start:toks[i-2].End])
		}
		if !final {
			continue
		}
		next := text[toks[i].Start:toks[i].End]
		r, _ := utf8.DecodeRuneInString(next)
		if unicode.IsLower(r) {
			continue
		}
		if isClosePunct(r) && !isOpenPunct(r) {
			continue
		}
		// A closing quote or bracket belongs to the sentence it closes; a
		// straight quote closes when the sentence has an odd number of them.
		if next == "\u201d" || next == "\u2019" || next == "\u00bb" || next == ")" || next == "]" {
			continue
		}
		if next == "\"" || next == "'" {
			quotes := 0
			for k := starts[len(starts)-1]; k < i; k++ {
				if text[toks[k].Start:toks[k].End] == next {
					quotes++
				}
			}
			if quotes%2 == 1 {
				continue
			}
		}
		starts = append(starts, i)
	}
	return append(starts, len(toks))
}
