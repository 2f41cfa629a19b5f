package sentiment

import (
	"bytes"
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
)

// language is everything the scorer needs for one language.
type language struct {
	code  string
	rules *rules
	lex   *lexicon
}

// token is a word or a punctuation mark of a sentence.
type token struct {
	start, end int // byte offsets of the text in its field
	ns, ne     int // the lower-cased form in scratch.norm
	punct      rune
	caps       bool // written in capitals, two letters or more
	upper      bool // starts with a capital
	quoted     bool // inside quotation marks
	short      bool // inside a short quotation (scare quotes)
	skip       bool // second word of a phrase
	exact      bool // val is the lexicon entry of the word itself
	used       bool // a negator that negated a lexicon word
	fn         function
	val        float32
	// alt is the lexicon valence of a booster that is also an adjective
	// ("terribly" / "terrible", Dutch "verschrikkelijk"): when no word
	// follows it, it is the adjective.
	alt float32
}

func (t *token) word() bool { return t.punct == 0 }

// scratch is reused between sentences to keep scoring free of allocations.
type scratch struct {
	toks []token
	norm []byte
	key  []byte
	env  *snowballstem.Env
	// derived remembers, per language, the valence lookup derived for
	// words that are not lexicon entries themselves (stemming is the
	// costly part of scoring, and news repeats its words).
	derived map[*language]map[string]float32
	// trace, when set, receives how each lexicon word entered the sum
	// (training uses it).
	trace func(h Hit)
}

// Hit is one sentiment-bearing word of a scored sentence: the sentence sum
// gains Valence times Pos (when the valence is positive) or Neg.
type Hit struct {
	Word     string // lower-cased word, when it is its own lexicon entry
	Valence  float64
	Pos, Neg float64
}

func newScratch() *scratch {
	return &scratch{toks: make([]token, 0, 64), norm: make([]byte, 0, 512), key: make([]byte, 0, 64), env: snowballstem.NewEnv("")}
}

// result is the score of one sentence.
type result struct {
	score float64 // in [-1, 1]
	hits  int     // words that carried sentiment
	extra float64 // the part of the raw sum not from lexicon words
}

// scoreSentence scores text[s:e] in language l.
func (sc *scratch) scoreSentence(l *language, p *Params, text string, s, e int) result {
	sc.tokenize(l, text, s, e)
	toks := sc.toks
	allCaps := true
	words := 0
	hedgeFactor := 1.0
	var extra float64 // the part of the sum that comes from no lexicon word
	questions, exclaims, obligations := 0, 0, 0
	// The first contrast word that is not the second half of "not only ...
	// but" splits the sentence.
	split := -1
	additive := false
	for i := range toks {
		t := &toks[i]
		if !t.word() {
			switch t.punct {
			case '?':
				questions++
			case '!':
				exclaims++
			}
			continue
		}
		words++
		if !t.caps {
			allCaps = false
		}
		switch t.fn.class {
		case hedge:
			hedgeFactor *= float64(t.fn.value)
			extra += p.HedgeValence
		case obligation:
			obligations++
		case notOnly:
			additive = true
		case contrast:
			if additive {
				additive = false
			} else if split < 0 {
				split = i
			}
		}
	}
	if words == 0 {
		return result{}
	}
	hedgeFactor = math.Max(hedgeFactor, 0.5)
	if obligations > 0 {
		extra += p.ObligationValence
	}
	if questions > 0 {
		extra += p.Question
	}
	lengthFactor := 1.0
	if p.LengthNorm > 0 {
		// Relative to a sentence of ten words.
		lengthFactor = math.Pow(float64(words)/10, -p.LengthNorm)
	}
	extra *= lengthFactor

	sum := extra
	hits := 0
	concession := false
	for i := range toks {
		t := &toks[i]
		if !t.word() {
			switch t.punct {
			case ',', ';', ':', '—', '–':
				concession = false
			}
			continue
		}
		switch t.fn.class {
		case concessive:
			concession = true
		case contrast:
			concession = false
		}
		if t.val == 0 || t.skip {
			continue
		}
		// The word's valence enters the sum times a factor that depends on
		// its sign: negation and "too" treat the two sides differently.
		b := sc.boostBefore(i)
		pos, neg := b, b
		if sc.negated(l, i) {
			pos *= p.NegatePos
			neg *= p.NegateNeg
		} else if sc.reversed(l, i) {
			pos *= p.Reverse
			neg *= p.Reverse
		} else if sc.excessBefore(l, i) {
			pos *= p.ExcessPos
			neg *= 1.3
		}
		common := hedgeFactor * lengthFactor
		if t.caps && !allCaps {
			common *= 1.25
		}
		if t.short {
			common *= p.QuoteShort
		}
		if concession {
			common *= p.Concession
		}
		if split >= 0 {
			if i < split {
				common *= p.BeforeBut
			} else {
				common *= p.AfterBut
			}
		}
		pos *= common * p.PosScale
		neg *= common * p.NegScale
		v := float64(t.val)
		if v > 0 {
			sum += v * pos
		} else {
			sum += v * neg
		}
		hits++
		if sc.trace != nil {
			h := Hit{Valence: v, Pos: pos, Neg: neg}
			if t.exact {
				h.Word = string(sc.norm[t.ns:t.ne])
			}
			sc.trace(h)
		}
	}
	// A negator that negated no lexicon word still sets a tone: in opinion
	// writing "cannot", "never" and "no one" lean critical. One that
	// negated a word ("not bad") was spent on it.
	free := 0
	for i := range toks {
		if toks[i].fn.class == negator && !toks[i].used && !toks[i].skip {
			free++
		}
	}
	nv := p.NegatorValence * float64(min(free, 2)) * lengthFactor
	extra += nv
	sum += nv
	if exclaims > 0 && sum != 0 {
		sum += math.Copysign(0.292*float64(min(exclaims, 4)), sum)
	}
	if sum == 0 {
		return result{hits: hits, extra: extra}
	}
	return result{score: sum / math.Sqrt(sum*sum+p.Alpha), hits: hits, extra: extra}
}

// scopeBreak reports whether a token ends the scope of a negator or booster.
func scopeBreak(t *token) bool {
	if t.word() {
		return t.fn.class == contrast || t.fn.class == concessive
	}
	return t.punct != '"'
}

// boostBefore is the product of the boosters among the three words before i.
func (sc *scratch) boostBefore(i int) float64 {
	f := 1.0
	decay := 1.0
	for j, n := i-1, 0; j >= 0 && n < 3; j-- {
		t := &sc.toks[j]
		if scopeBreak(t) {
			break
		}
		if !t.word() || t.skip {
			continue
		}
		n++
		if t.fn.class == booster {
			f *= 1 + float64(t.fn.value)*decay
		}
		decay -= 0.1
	}
	return f
}

// negated reports whether word i is in the scope of a negator: one of the
// three words before it, French "ne" before it with "pas" (or another
// negator) after it, or, in Dutch and German, a negator closing the clause
// right after it.
func (sc *scratch) negated(l *language, i int) bool {
	toks := sc.toks
	ne := false
	for j, n := i-1, 0; j >= 0 && n < 3; j-- {
		t := &toks[j]
		if scopeBreak(t) {
			break
		}
		if !t.word() || t.skip {
			continue
		}
		n++
		switch t.fn.class {
		case negator:
			t.used = true
			return true
		case neParticle:
			ne = true
		}
	}
	if ne {
		for j, n := i+1, 0; j < len(toks) && n < 3; j++ {
			t := &toks[j]
			if !t.word() {
				break
			}
			n++
			if t.fn.class == negator || sc.normIs(t, "plus") {
				t.used = true
				return true
			}
		}
	}
	if l.rules.clauseNegation {
		for j, n := i+1, 0; j < len(toks) && n < 3; j++ {
			t := &toks[j]
			if !t.word() {
				break
			}
			n++
			if t.fn.class == negator && (j+1 == len(toks) || !toks[j+1].word()) {
				t.used = true
				return true
			}
		}
	}
	return false
}

// reversed reports whether a reverser ("reduce", "fewer", "combat") is among
// the three words before i or, in Dutch and German, where the verb closes
// the clause ("fouten voorkomen", "die Armut verringern"), among the three
// words after it at the end of the clause.
func (sc *scratch) reversed(l *language, i int) bool {
	for j, n := i-1, 0; j >= 0 && n < 3; j-- {
		t := &sc.toks[j]
		if scopeBreak(t) {
			break
		}
		if !t.word() || t.skip {
			continue
		}
		n++
		if t.fn.class == reverser {
			return true
		}
	}
	if l.rules.clauseNegation {
		toks := sc.toks
		for j, n := i+1, 0; j < len(toks) && n < 3; j++ {
			t := &toks[j]
			if !t.word() {
				break
			}
			n++
			if t.fn.class == reverser && (j+1 == len(toks) || !toks[j+1].word()) {
				return true
			}
		}
	}
	return false
}

// excessBefore reports whether "too" comes right before word i, or two words
// before it with a booster between ("too very"), as in "too expensive".
func (sc *scratch) excessBefore(l *language, i int) bool {
	for j, n := i-1, 0; j >= 0 && n < 2; j-- {
		t := &sc.toks[j]
		if !t.word() {
			return false
		}
		if t.skip {
			continue
		}
		n++
		if t.fn.class == excess {
			return true
		}
		if t.fn.class != booster {
			return false
		}
	}
	return false
}

func (sc *scratch) normIs(t *token, s string) bool { return string(sc.norm[t.ns:t.ne]) == s }

// tokenize splits text[s:e] into tokens and looks up their roles and
// valences.
func (sc *scratch) tokenize(l *language, text string, s, e int) {
	sc.toks = sc.toks[:0]
	sc.norm = sc.norm[:0]
	r := l.rules
	inQuote := false
	quoteStart := 0
	for i := s; i < e; {
		c, size := utf8.DecodeRuneInString(text[i:e])
		if isWordRune(c) {
			j := wordEnd(text, i, e)
			sc.appendWord(l, text, i, j, inQuote)
			i = j
			continue
		}
		switch c {
		case '“', '„', '«', '‹', '»', '”', '"', '‘', '’', '\'', '›':
			// Two apostrophes stand for a double quote.
			if c == '\'' && i+1 < e && text[i+1] == '\'' {
				size = 2
			}
			if quoteOpens(text, s, e, i, size, c, inQuote) {
				inQuote = true
				quoteStart = len(sc.toks)
			} else if inQuote {
				inQuote = false
				sc.closeQuote(quoteStart)
			}
		case ',', ';', ':', '!', '?', '—', '–', '(', ')', '.', '¿', '¡':
			sc.toks = append(sc.toks, token{start: i, end: i + size, punct: c})
		case '-':
			// A spaced hyphen is a dash.
			if i > s && i+1 < e && text[i-1] == ' ' && text[i+1] == ' ' {
				sc.toks = append(sc.toks, token{start: i, end: i + 1, punct: '—'})
			}
		}
		i += size
	}
	sc.phrases(l)
	// A booster with nothing after it to boost is the adjective it also is:
	// "the results were terrible".
	for i := range sc.toks {
		t := &sc.toks[i]
		if t.fn.class == booster && t.alt != 0 && (i+1 == len(sc.toks) || !sc.toks[i+1].word()) {
			t.fn, t.val, t.exact = function{}, t.alt, true
		}
	}
	// "too" words that double as "to" count only before an adjective.
	for i := range sc.toks {
		t := &sc.toks[i]
		if t.fn.class != excess || r.excessBefore == nil {
			continue
		}
		next := ""
		if i+1 < len(sc.toks) && sc.toks[i+1].word() && !sc.toks[i+1].upper {
			next = string(sc.norm[sc.toks[i+1].ns:sc.toks[i+1].ne])
		}
		if !r.excessBefore(next) {
			t.fn = function{}
		}
	}
}

// closeQuote marks the words since quoteStart as quoted, and as a short
// quotation when there are at most three.
func (sc *scratch) closeQuote(from int) {
	n := 0
	for j := from; j < len(sc.toks); j++ {
		if sc.toks[j].word() {
			n++
		}
	}
	for j := from; j < len(sc.toks); j++ {
		sc.toks[j].quoted = true
		sc.toks[j].short = n <= 3
	}
}

// quoteOpens decides whether a quotation mark at i opens a quotation.
func quoteOpens(text string, s, e, i, size int, c rune, inQuote bool) bool {
	switch c {
	case '“', '„', '‹':
		return true
	case '”', '›':
		return false
	case '«':
		return true // French and Spanish; German »...« is rare in news
	case '»':
		return false
	}
	// Straight quotes and ‘’: open when preceded by space or start and
	// followed by a letter.
	before := i == s
	if !before {
		p, _ := utf8.DecodeLastRuneInString(text[s:i])
		before = unicode.IsSpace(p) || p == '(' || p == '—' || p == '-'
	}
	if c == '"' || size == 2 {
		return !inQuote
	}
	if !before {
		return false
	}
	if i+size < e {
		n, _ := utf8.DecodeRuneInString(text[i+size:])
		return unicode.IsLetter(n) || unicode.IsDigit(n)
	}
	return false
}

func isWordRune(c rune) bool {
	return unicode.IsLetter(c) || unicode.IsDigit(c) || unicode.Is(unicode.Mn, c)
}

// wordEnd returns the end of the word starting at i: letters and digits,
// joined by inner apostrophes and hyphens.
func wordEnd(text string, i, e int) int {
	j := i
	for j < e {
		c, size := utf8.DecodeRuneInString(text[j:e])
		if isWordRune(c) {
			j += size
			continue
		}
		if c == '\'' || c == '’' || c == '-' {
			if j+size < e {
				n, _ := utf8.DecodeRuneInString(text[j+size : e])
				if isWordRune(n) {
					j += size
					continue
				}
			}
			// "can't" keeps its apostrophe; "n'" before a vowel is elision
			// handled by the caller.
			if c != '-' && j+size <= e && j > i {
				break
			}
		}
		break
	}
	return j
}

// appendWord lower-cases text[i:j] into norm, splitting elisions, and
// appends the word token(s).
func (sc *scratch) appendWord(l *language, text string, i, j int, quoted bool) {
	start := len(sc.norm)
	sc.norm = sc.norm[:start]
	upper, lowerSeen, letters := false, false, 0
	for k := i; k < j; {
		c, size := utf8.DecodeRuneInString(text[k:j])
		if c == '’' {
			c = '\''
		}
		if unicode.IsUpper(c) {
			if k == i {
				upper = true
			}
		} else if unicode.IsLower(c) {
			lowerSeen = true
		}
		if unicode.IsLetter(c) {
			letters++
		}
		if c == '\'' && l.rules.elisions != nil && l.rules.elisions[string(sc.norm[start:])] {
			// French elision: "n'est" is "n'" and "est".
			sc.norm = append(sc.norm, '\'')
			sc.pushWord(l, i, k+size, start, upper, false, quoted)
			sc.appendWord(l, text, k+size, j, quoted)
			return
		}
		sc.norm = utf8.AppendRune(sc.norm, unicode.ToLower(c))
		k += size
	}
	sc.pushWord(l, i, j, start, upper, letters >= 2 && !lowerSeen && upper, quoted)
}

func (sc *scratch) pushWord(l *language, i, j, ns int, upper, caps, quoted bool) {
	t := token{start: i, end: j, ns: ns, ne: len(sc.norm), upper: upper, caps: caps, quoted: quoted}
	key := sc.norm[ns:]
	if f, ok := l.rules.words[string(key)]; ok {
		t.fn = f
		if f.class == booster {
			t.alt = l.lex.words[string(key)]
		}
	} else if v, ok := l.lex.words[string(key)]; ok {
		t.val, t.exact = v, true
	} else {
		t.val = sc.derive(l, key)
	}
	sc.toks = append(sc.toks, t)
}

// lookup finds the valence of a lower-cased word: the word itself, its
// snowball stem, the head of a compound, or the last part of a hyphenated
// word.
func (sc *scratch) lookup(l *language, key []byte) float32 {
	if v, ok := l.lex.words[string(key)]; ok {
		return v
	}
	return sc.derive(l, key)
}

// maxDerived bounds the remembered derivations per language: about a
// megabyte, past which the memo starts again.
const maxDerived = 1 << 14

// derive is lookup for a word that is not a lexicon entry: its stem, the
// head of a compound or the last part of a hyphenated word, remembered.
func (sc *scratch) derive(l *language, key []byte) float32 {
	if len(key) < 4 || isNumber(key) {
		return 0
	}
	memo := sc.derived[l]
	if v, ok := memo[string(key)]; ok {
		return v
	}
	v := sc.deriveOnce(l, key)
	if memo == nil || len(memo) >= maxDerived {
		if sc.derived == nil {
			sc.derived = map[*language]map[string]float32{}
		}
		memo = make(map[string]float32, 1024)
		sc.derived[l] = memo
	}
	memo[string(key)] = v
	return v
}

func (sc *scratch) deriveOnce(l *language, key []byte) float32 {
	lx := l.lex
	sc.env.SetCurrent(string(key))
	l.rules.stem(sc.env)
	stem := sc.env.Current()
	if v, ok := lx.stems[stem]; ok && 10*len(stem) >= 6*len(key) {
		return v
	}
	if h := lastIndexByte(key, '-'); h > 0 && h+1 < len(key) {
		return sc.lookup(l, key[h+1:])
	}
	if l.rules.compounds && len(key) >= 8 {
		// The head of a compound is its longest marked final part, in the
		// form listed or with a plural or case ending ("Wirtschaftskrisen").
		for _, end := range l.rules.headEndings {
			base, ok := bytes.CutSuffix(key, []byte(end))
			if !ok {
				continue
			}
			for k := 3; k+4 <= len(base); k++ {
				if !utf8.RuneStart(base[k]) {
					continue
				}
				if v, ok := lx.heads[string(base[k:])]; ok {
					return v
				}
			}
		}
	}
	return 0
}

func isNumber(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// phrases joins function phrases and lexicon entries of two or three
// words: the first word takes the phrase's role or valence, the others are
// skipped.
func (sc *scratch) phrases(l *language) {
	toks := sc.toks
	for i := 0; i+1 < len(toks); i++ {
		a, b := &toks[i], &toks[i+1]
		if !a.word() || !b.word() || a.skip {
			continue
		}
		sc.key = append(append(append(sc.key[:0], sc.norm[a.ns:a.ne]...), ' '), sc.norm[b.ns:b.ne]...)
		if i+2 < len(toks) && toks[i+2].word() && len(l.lex.phrases) > 0 {
			c := &toks[i+2]
			n := len(sc.key)
			sc.key = append(append(sc.key, ' '), sc.norm[c.ns:c.ne]...)
			if v, ok := l.lex.phrases[string(sc.key)]; ok {
				a.fn, a.val, a.exact = function{}, v, false
				b.skip, b.fn, b.val = true, function{}, 0
				c.skip, c.fn, c.val = true, function{}, 0
				continue
			}
			sc.key = sc.key[:n]
		}
		if f, ok := l.rules.phrases[string(sc.key)]; ok {
			a.fn, a.val, a.exact = f, 0, false
			b.skip, b.fn, b.val = true, function{}, 0
			continue
		}
		if v, ok := l.lex.phrases[string(sc.key)]; ok {
			a.fn, a.val, a.exact = function{}, v, false
			b.skip, b.fn, b.val = true, function{}, 0
		}
	}
}
