package language

import (
	"errors"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// ErrUnsupported reports a language code the detector has no model for.
var ErrUnsupported = errors.New("unsupported language")

const (
	// longText is the letter count from which only trigrams are scored, as
	// lingua-go does: long text is told reliably by trigrams alone, and
	// their tables are the small ones.
	longText = 120
	// minLetters is the fewest letters the detector answers for.
	minLetters = 3
	// topK is how many candidates, ranked by trigrams, short text scores
	// with the full 1- to 5-gram models.
	topK = 8
	// allCandidatesBelow is the letter count under which every candidate
	// is scored with the full models: trigrams rank a word or two poorly,
	// and so little text is cheap to score.
	allCandidatesBelow = 40
	// chunkLetters sizes the pieces long text is scored in, to see whether
	// it is written in one language.
	chunkLetters = 300
	// maxChunks caps the pieces scored, spread over the text.
	maxChunks = 12
	// mixedShare is the share of the text its language must win for the text
	// not to count as mixed.
	mixedShare = 0.6
	// decidedMargin is the lead per trigram a piece's best language needs
	// for the piece to count towards that share. A piece of names alone
	// (a list of players) leads by 0.01-0.03; a piece in one language by
	// 0.5 and more.
	decidedMargin = 0.1
)

// Detector tells the language of a text among a configured set.
type Detector struct {
	langs    []int             // configured languages, indexes into supported
	byScript [numScripts][]int // configured languages per script
	unique   map[rune][]int    // letters unique to one configured language
	shared   []sharedGroup
	// sharedOf maps a letter to the shared groups holding it, once per
	// time it is listed there
	sharedOf map[rune][]int
	// asciiInert: ASCII letters say nothing in byRules (no configured
	// language is alone in the Latin script or has a unique ASCII letter)
	asciiInert bool
	indexes    indexes
}

type sharedGroup struct {
	letters string
	langs   []int
}

// Candidate is one language's standing for a text.
type Candidate struct {
	Code  string
	Score float64 // lingua-style log score; higher is likelier
}

// Result is the outcome of a detection.
type Result struct {
	Code       string  // ISO 639-1, or "und"
	Confidence float64 // calibrated probability that Code is right
	// Reason says how the answer was reached: "script", "letters",
	// "ngrams", "long", or for und "empty", "short", "mixed", "tie".
	Reason string
	// Candidates are the best-scored languages, best first (n-gram
	// detections only).
	Candidates []Candidate
	Letters    int
	// Margin is the evidence the confidence is calibrated on: the score
	// lead of the best language (per trigram for long text).
	Margin float64
}

// NewDetector builds a detector for the given ISO 639-1 codes.
func NewDetector(codes []string) (*Detector, error) {
	idx, err := resolveCodes(codes)
	if err != nil {
		return nil, err
	}
	d := &Detector{langs: idx, unique: make(map[rune][]int), sharedOf: make(map[rune][]int)}
	for _, li := range idx {
		l := supported[li]
		d.byScript[l.script] = append(d.byScript[l.script], li)
		for _, r := range l.unique {
			d.unique[r] = append(d.unique[r], li)
		}
	}
	d.asciiInert = len(d.byScript[scriptLatin]) != 1
	for r := range d.unique {
		if r < utf8.RuneSelf {
			d.asciiInert = false
		}
	}
	for _, g := range sharedLetters {
		var ls []int
		for _, c := range g.codes {
			if i := slices.IndexFunc(supported, func(l lang) bool { return l.code == c }); i >= 0 && slices.Contains(idx, i) {
				ls = append(ls, i)
			}
		}
		if len(ls) > 0 {
			for _, r := range g.letters {
				if r < utf8.RuneSelf {
					panic("language: shared letters must not be ASCII") // filter skips ASCII words
				}
				d.sharedOf[r] = append(d.sharedOf[r], len(d.shared))
			}
			d.shared = append(d.shared, sharedGroup{letters: g.letters, langs: ls})
		}
	}
	return d, nil
}

// Languages returns the configured codes.
func (d *Detector) Languages() []string {
	out := make([]string, len(d.langs))
	for i, li := range d.langs {
		out[i] = supported[li].code
	}
	return out
}

// Preload loads every model the detector can need, and builds the merged
// tables long text is scored with, so that the first detections are not
// slow and memory use is visible at start.
func (d *Detector) Preload() error {
	for _, li := range d.langs {
		for o := 1; o <= maxOrder; o++ {
			if _, err := model(li, o); err != nil {
				return err
			}
		}
	}
	for _, langs := range d.byScript {
		if len(langs) > 0 {
			d.index(langs)
		}
	}
	d.index(d.langs)
	return nil
}

// Detect tells the language of text.
func (d *Detector) Detect(text string) Result {
	ws := splitWords(text)
	letters := 0
	for _, w := range ws {
		letters += w.runes
	}
	res := Result{Code: undetermined, Letters: letters}
	if len(ws) == 0 {
		res.Reason = "empty"
		return res
	}
	if li, ok := d.byRules(ws); ok {
		res.Code, res.Reason, res.Confidence = supported[li].code, "script", ruleConfidence(letters)
		return res
	}
	cands := gate(text, d.filter(ws))
	if len(cands) == 1 {
		res.Code, res.Reason, res.Confidence = supported[cands[0]].code, "letters", ruleConfidence(letters)
		return res
	}
	if letters < minLetters {
		res.Reason = "short"
		return res
	}
	if letters >= longText {
		return d.detectLong(ws, cands, res)
	}
	return d.detectShort(ws, cands, res)
}

// ruleConfidence is the confidence of an answer told by script or letters:
// near certain, except for a letter or two.
func ruleConfidence(letters int) float64 {
	if letters >= minLetters {
		return 0.99
	}
	return 0.8
}

type word struct {
	s      string // lower-cased
	runes  int
	script script
	// capital: written with a capital first letter, as names are (and a
	// sentence's first word, and every German noun), but not in a run of
	// three or more words all in capitals, a headline's; a word in
	// capitals on its own is an acronym or a dateline's place.
	capital bool
	// sentenceEnd: a full stop, question or exclamation mark follows.
	sentenceEnd bool
}

// splitWords cuts text into lower-cased words: runs of letters, each Han,
// kana or Hangul character a word of its own (as lingua-go does).
func splitWords(text string) []word {
	lowered := strings.ToLower(text)
	out := make([]word, 0, len(text)/6+1)
	start := -1
	var sc script
	n := 0
	flush := func(end int) {
		if start >= 0 {
			out = append(out, word{s: lowered[start:end], runes: n, script: sc})
			start = -1
		}
	}
	for i, r := range lowered {
		if !unicode.IsLetter(r) {
			flush(i)
			if (r == '.' || r == '!' || r == '?') && len(out) > 0 {
				out[len(out)-1].sentenceEnd = true
			}
			continue
		}
		rs := runeScript(r)
		if rs == scriptHan || rs == scriptKana || rs == scriptHangul {
			flush(i)
			out = append(out, word{s: lowered[i : i+utf8.RuneLen(r)], runes: 1, script: rs})
			continue
		}
		if start < 0 {
			start, sc, n = i, rs, 0
		} else if sc != rs {
			sc = scriptOther
		}
		n++
	}
	flush(len(lowered))
	markCapitals(text, out)
	return out
}

// markCapitals sets the capital flag of ws, the words splitWords cut from
// text's lower case, from text as written: the same letters cut it into
// the same words. A run of three or more words in capitals is a headline's
// and keeps the flag clear; a word in capitals on its own is an acronym or
// a dateline's place.
func markCapitals(text string, ws []word) {
	k := -1 // the word being read
	inWord, first, upper, lower := false, false, false, false
	run := 0 // words in capitals ending at k
	closeRun := func(end int) {
		if end = min(end, len(ws)); run >= 3 && end-run >= 0 {
			for i := end - run; i < end; i++ {
				ws[i].capital = false
			}
		}
		run = 0
	}
	endWord := func() {
		if !inWord {
			return
		}
		inWord = false
		if k < len(ws) {
			ws[k].capital = first
		}
		if upper && !lower {
			run++
		} else {
			closeRun(k)
		}
	}
	for _, r := range text {
		var u, l bool
		if r < utf8.RuneSelf {
			u, l = 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z'
			if !u && !l {
				endWord()
				if r == '.' || r == '!' || r == '?' || r == '\n' {
					closeRun(k + 1) // a headline is a line, a sentence at most
				}
				continue
			}
		} else {
			if !unicode.IsLetter(r) {
				endWord()
				continue
			}
			if rs := runeScript(r); rs == scriptHan || rs == scriptKana || rs == scriptHangul {
				endWord()
				closeRun(k + 1)
				k++
				continue
			}
			u, l = unicode.IsUpper(r) || unicode.IsTitle(r), unicode.IsLower(r)
		}
		if !inWord {
			inWord, first, upper, lower = true, u, false, false
			k++
		}
		upper = upper || u
		lower = lower || l
	}
	endWord()
	closeRun(k + 1)
}

// capitalWeight is how much a capitalised word's n-grams count in text of
// allCandidatesBelow letters or more, against 1 for a word in lower case
// or in a headline's capitals.
// Names are spelt as in their own language: scored like every other word,
// English stories about German, Dutch, Spanish and Danish politics were
// German, Dutch, Spanish and Swedish, and English results pages of German,
// Dutch, Italian and French clubs German, Dutch, Danish and French. The
// words in lower case around the names tell the language. At 0.2, 13 of
// those 14 pages are English (the one left, Italian, has "matches" as its
// only word in lower case) and the development set's figures are as at 1;
// 0.05 and 0.02 lose development sentences and short pages
// (docs/evaluation.md).
const capitalWeight = 0.2

// weight is how much w's trigrams count in long text.
func (w *word) weight() float64 {
	if w.capital {
		return capitalWeight
	}
	return 1
}

func runeScript(r rune) script {
	switch {
	case r < 0x80:
		return scriptLatin
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.Is(unicode.Cyrillic, r):
		return scriptCyrillic
	case unicode.Is(unicode.Greek, r):
		return scriptGreek
	case unicode.Is(unicode.Arabic, r):
		return scriptArabic
	case unicode.Is(unicode.Hebrew, r):
		return scriptHebrew
	case unicode.Is(unicode.Devanagari, r):
		return scriptDevanagari
	case unicode.Is(unicode.Bengali, r):
		return scriptBengali
	case unicode.Is(unicode.Tamil, r):
		return scriptTamil
	case unicode.Is(unicode.Thai, r):
		return scriptThai
	case unicode.Is(unicode.Georgian, r):
		return scriptGeorgian
	case unicode.Is(unicode.Armenian, r):
		return scriptArmenian
	case unicode.Is(unicode.Han, r):
		return scriptHan
	case unicode.Is(unicode.Hiragana, r), unicode.Is(unicode.Katakana, r):
		return scriptKana
	case unicode.Is(unicode.Hangul, r):
		return scriptHangul
	}
	return scriptOther
}

// byRules tells the language from letters alone when most words carry a
// script or letter only one configured language uses.
func (d *Detector) byRules(ws []word) (int, bool) {
	const unknown = -1
	zh := d.codeIndex("zh")
	ja := d.codeIndex("ja")
	// counts by language, unknown included: index li+1
	var total, wordCounts counter
	for _, w := range ws {
		wordCounts.reset()
		for i := 0; i < len(w.s); {
			if c := w.s[i]; c < utf8.RuneSelf && d.asciiInert {
				i++
				continue
			}
			r, size := utf8.DecodeRuneInString(w.s[i:])
			i += size
			sc := runeScript(r)
			switch {
			case sc == scriptHan && zh >= 0:
				wordCounts.add(zh)
			case sc == scriptHan && ja >= 0, sc == scriptKana && ja >= 0:
				wordCounts.add(ja)
			case sc != scriptOther && len(d.byScript[sc]) == 1:
				wordCounts.add(d.byScript[sc][0])
			default:
				for _, li := range d.unique[r] {
					wordCounts.add(li)
				}
			}
		}
		switch wordCounts.keys {
		case 0:
			total.add(unknown)
		case 1:
			total.add(wordCounts.only())
		default:
			if zh >= 0 && wordCounts.get(zh) > 0 && ja >= 0 && wordCounts.get(ja) > 0 {
				total.add(ja)
				continue
			}
			best, bestN, secondN := wordCounts.top2()
			if bestN > secondN {
				total.add(best)
			} else {
				total.add(unknown)
			}
		}
	}
	if float64(total.get(unknown)) < float64(len(ws))*0.5 {
		total.remove(unknown)
	}
	switch total.keys {
	case 0:
		return 0, false
	case 1:
		li := total.only()
		return li, li != unknown
	case 2:
		if zh >= 0 && ja >= 0 && total.get(zh) > 0 && total.get(ja) > 0 {
			return ja, true
		}
	}
	best, bestN, secondN := total.top2()
	if bestN == secondN || best == unknown {
		return 0, false
	}
	return best, true
}

// counter counts by language index, -1 (unknown) included.
type counter struct {
	n       [len(supportedArrayMarker) + 1]int
	touched []int8 // keys+1 with a count, to reset
	keys    int    // keys with a count
}

func (c *counter) add(k int) {
	if c.n[k+1] == 0 {
		c.keys++
		c.touched = append(c.touched, int8(k+1))
	}
	c.n[k+1]++
}

func (c *counter) get(k int) int { return c.n[k+1] }

func (c *counter) remove(k int) {
	if c.n[k+1] != 0 {
		c.n[k+1] = 0
		c.keys--
	}
}

func (c *counter) reset() {
	for _, i := range c.touched {
		c.n[i] = 0
	}
	c.touched = c.touched[:0]
	c.keys = 0
}

// only returns the key of a counter with one key.
func (c *counter) only() int {
	for _, i := range c.touched {
		if c.n[i] != 0 {
			return int(i) - 1
		}
	}
	return -1
}

// top2 is top2 of the counts as a map: the key with the highest count
// (ties to the lower key), its count and the runner-up's count.
func (c *counter) top2() (best, bestN, secondN int) {
	best, bestN, secondN = 0, -1, -1
	for i, n := range c.n {
		if n == 0 {
			continue
		}
		switch k := i - 1; {
		case n > bestN || (n == bestN && k < best):
			if bestN >= 0 {
				secondN = max(secondN, bestN)
			}
			best, bestN = k, n
		case n > secondN:
			secondN = n
		}
	}
	return best, bestN, secondN
}

func (d *Detector) codeIndex(code string) int {
	for _, li := range d.langs {
		if supported[li].code == code {
			return li
		}
	}
	return -1
}

// top2 returns the key with the highest count, its count and the runner-up's
// count; ties go to the lower key so the result does not depend on map order.
func top2(m map[int]int) (best, bestN, secondN int) {
	best, bestN, secondN = 0, -1, -1
	for k, n := range m {
		switch {
		case n > bestN || (n == bestN && k < best):
			if bestN >= 0 {
				secondN = max(secondN, bestN)
			}
			best, bestN = k, n
		case n > secondN:
			secondN = n
		}
	}
	return best, bestN, secondN
}

// filter narrows the configured languages to those of the text's main script
// and, when at least half the words carry letters few languages use, to those.
func (d *Detector) filter(ws []word) []int {
	var counts [numScripts]int
	for _, w := range ws {
		if w.script != scriptOther {
			counts[w.script]++
		}
	}
	best, bestN, distinct := scriptOther, 0, make(map[int]bool)
	for s, n := range counts {
		if n == 0 {
			continue
		}
		distinct[n] = true
		if n > bestN {
			best, bestN = script(s), n
		}
	}
	if bestN == 0 || (len(distinct) == 1 && countNonZero(counts[:]) > 1) {
		return d.langs
	}
	inScript := d.byScript[best]
	if len(inScript) == 0 {
		return d.langs
	}
	// count, per language of the script, the words carrying each of its
	// shared letters
	var langCounts, inScriptSet [len(supportedArrayMarker)]int
	for _, li := range inScript {
		inScriptSet[li] = 1
	}
	var letters []rune
	for _, w := range ws {
		if isASCII(w.s) {
			continue
		}
		letters = letters[:0]
		for _, r := range w.s {
			if _, ok := d.sharedOf[r]; ok && !slices.Contains(letters, r) {
				letters = append(letters, r)
			}
		}
		for _, r := range letters {
			for _, gi := range d.sharedOf[r] {
				for _, li := range d.shared[gi].langs {
					langCounts[li] += inScriptSet[li]
				}
			}
		}
	}
	var subset []int
	for li, n := range langCounts {
		if n > 0 && float64(n) >= float64(len(ws))*0.5 {
			subset = append(subset, li)
		}
	}
	if len(subset) > 0 {
		slices.Sort(subset)
		return subset
	}
	return inScript
}

// gate drops the languages whose model is too small to compete on n-grams
// alone unless the text shows one of their marks.
func gate(text string, cands []int) []int {
	out := cands[:0:0]
	for _, li := range cands {
		if m := supported[li].marker; m == nil || m(text) {
			out = append(out, li)
		}
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func countNonZero(xs []int) int {
	n := 0
	for _, x := range xs {
		if x != 0 {
			n++
		}
	}
	return n
}

// grams holds the hashes of a text's letter n-grams: for each position, the
// n-grams of order 1..5 starting there, and per order the positions whose
// n-gram is seen for the first time (lingua-go scores each distinct n-gram
// once).
type grams struct {
	h        [][maxOrder + 1]uint64
	w        []float64 // per position, the weight of its word
	distinct [maxOrder + 1][]int32
}

func newGrams(ws []word, orders []int, weighted bool) *grams {
	g := &grams{}
	seen := make(map[uint64]struct{})
	var offs [64]int
	for _, w := range ws {
		// byte offsets of the rune starts, plus the end
		bo := offs[:0]
		for i := range w.s {
			bo = append(bo, i)
		}
		bo = append(bo, len(w.s))
		nr := len(bo) - 1
		for i := 0; i < nr; i++ {
			var hs [maxOrder + 1]uint64
			for k := 1; k <= maxOrder && i+k <= nr; k++ {
				hs[k] = hashString(w.s[bo[i]:bo[i+k]])
			}
			p := int32(len(g.h))
			g.h = append(g.h, hs)
			wt := 1.0
			if weighted {
				wt = w.weight()
			}
			g.w = append(g.w, wt)
			for _, o := range orders {
				if i+o > nr {
					continue
				}
				if _, dup := seen[hs[o]]; dup {
					continue
				}
				seen[hs[o]] = struct{}{}
				g.distinct[o] = append(g.distinct[o], p)
			}
		}
	}
	return g
}

// sum adds up, for one language and order, the log probabilities of the
// distinct n-grams, each backing off to its longest prefix the model knows
// (lingua-go's scoring), each times its word's weight. weight is the sum
// of the weights of the n-grams that contributed, 0 when none did.
func (g *grams) sum(li, order int) (total, weight float64) {
	var tables [maxOrder + 1]*table
	for k := 1; k <= order; k++ {
		tables[k], _ = model(li, k)
	}
	for _, p := range g.distinct[order] {
		hs := &g.h[p]
		for k := order; k >= 1; k-- {
			if lp, ok := tables[k].get(hs[k]); ok {
				total += g.w[p] * lp
				weight += g.w[p]
				break
			}
		}
	}
	return total, weight
}

type scored struct {
	li    int
	score float64
}

func sortScored(s []scored) {
	slices.SortFunc(s, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return a.li - b.li
	})
}

// detectShort scores short text with lingua-go's high-accuracy method (1- to
// 5-grams, backed off, divided by the number of known unigrams), but only
// for the few languages trigrams rank best.
func (d *Detector) detectShort(ws []word, cands []int, res Result) Result {
	// Names weigh less (see capitalWeight) from a short sentence up; in a
	// word or two every word counts alike (weighted, the development set's
	// two-word phrases lost 0.8 points: "Die Regierung" is as German in
	// its noun as in its article).
	g := newGrams(ws, []int{1, 2, 3, 4, 5}, res.Letters >= allCandidatesBelow)
	// rank by trigrams, or by the longest n-grams short words have
	preOrder := 3
	for preOrder > 1 && len(g.distinct[preOrder]) == 0 {
		preOrder--
	}
	var pre []scored
	for _, li := range cands {
		if s, w := g.sum(li, preOrder); w > 0 {
			pre = append(pre, scored{li, s})
		}
	}
	if len(pre) == 0 {
		res.Reason = "short"
		return res
	}
	sortScored(pre)
	// very short text gets every candidate: trigrams rank it poorly
	if k := topK; res.Letters >= allCandidatesBelow && len(pre) > k {
		pre = pre[:k]
	}
	full := make([]scored, 0, len(pre))
	for _, c := range pre {
		total := 0.0
		for o := 1; o <= maxOrder; o++ {
			s, _ := g.sum(c.li, o)
			total += s
		}
		// divided by the unigrams' weight: the same as their count when
		// every word weighs alike
		if _, unigrams := g.sum(c.li, 1); unigrams > 0 {
			total /= unigrams
		}
		full = append(full, scored{c.li, total})
	}
	sortScored(full)
	res.Margin = margin(full)
	return finish(res, full, "ngrams", shortCalibration.confidence(res.Margin, res.Letters))
}

// detectLong scores long text with trigrams, in chunks, and checks that one
// language wins most of it.
func (d *Detector) detectLong(ws []word, cands []int, res Result) Result {
	x := d.index(cands)
	sc := longScratchPool.Get().(*longScratch)
	defer longScratchPool.Put(sc)
	sc.reset(len(cands))
	for ci, li := range cands {
		s := x.slotOf[li]
		sc.slots[ci] = s
		sc.isCand[s] = true
	}
	chunks := chunkWords(ws)
	nc := len(cands)
	totals, wins := sc.totals[:nc], sc.wins[:nc]
	sc.startArticle(chunks)
	trigrams := 0.0
	scoredLetters := 0
	for chunk, c := range chunks {
		chunkTrigrams := 0.0
		acc, found := sc.acc[:nc], sc.found[:nc]
		clear(acc)
		clear(found)
		letters := 0
		for _, w := range c {
			letters += w.runes
			if w.runes < longOrder {
				continue
			}
			wt := w.weight()
			// byte offsets of the rune starts, plus the end
			bo := sc.offs[:0]
			for i := range w.s {
				bo = append(bo, i)
			}
			bo = append(bo, len(w.s))
			sc.offs = bo
			for i := 0; i+longOrder < len(bo); i++ {
				row := sc.row(x, w.s[bo[i]:bo[i+3]], bo[i+1]-bo[i], bo[i+2]-bo[i], nc)
				if sc.rowChunk[row] == int32(chunk) {
					continue // scored once per chunk, as lingua-go does
				}
				sc.rowChunk[row] = int32(chunk)
				chunkTrigrams += wt
				for ci, q := range sc.rows[row*nc : row*nc+nc] {
					if q >= 0 {
						acc[ci] += wt * (-float64(q) / qScale)
						found[ci]++
					}
				}
			}
		}
		bestCi, bestS, secondS := -1, math.Inf(-1), math.Inf(-1)
		for ci := range cands {
			s := acc[ci]
			if found[ci] == 0 {
				s = math.Inf(-1)
			}
			totals[ci] += s
			if s > bestS {
				bestCi, bestS, secondS = ci, s, bestS
			} else if s > secondS {
				secondS = s
			}
		}
		trigrams += chunkTrigrams
		if bestCi >= 0 && decided(bestS, secondS, chunkTrigrams) {
			wins[bestCi] += letters
			scoredLetters += letters
		}
	}
	var all []scored
	for ci, li := range cands {
		if !math.IsInf(totals[ci], -1) {
			all = append(all, scored{li, totals[ci]})
		}
	}
	if len(all) == 0 {
		res.Reason = "short"
		return res
	}
	sortScored(all)
	// per-trigram margin, so the calibration sees the evidence per n-gram
	m := margin(all)
	if trigrams > 0 {
		m /= trigrams
	}
	res.Margin = m
	conf := longCalibration.confidence(m, res.Letters)
	res = finish(res, all, "long", conf)
	won := wins[slices.Index(cands, all[0].li)]
	if share := float64(won) / float64(scoredLetters); scoredLetters > 0 && share < mixedShare {
		res.Code, res.Reason = undetermined, "mixed"
		res.Confidence = 1 - share
	}
	return res
}

// decided says whether a piece of text scored best and second best over
// trigrams (weighted) tells its language.
func decided(best, second, trigrams float64) bool {
	return math.IsInf(second, -1) || (trigrams > 0 && (best-second)/trigrams >= decidedMargin)
}

// longScratch is the working memory of detectLong, reused across calls.
// The log probabilities of a trigram, backed off, are looked up once per
// text and kept in a row per trigram (one value per candidate, -1 for
// none): the same trigrams come back chunk after chunk.
type longScratch struct {
	offs     []int
	seen     []uint64                          // open addressing on the trigram hash, 0 empty
	seenRow  []int32                           // row of the trigram in seen's slot
	zeroRow  int32                             // row of the trigram whose hash is 0, or -1
	rows     []int32                           // per trigram, a candidate's quantised log probability or -1
	rowChunk []int32                           // per trigram, the last chunk it was scored in
	slots    [len(supportedArrayMarker)]int8   // index slot per candidate
	isCand   [len(supportedArrayMarker)]bool   // by slot
	mark     [len(supportedArrayMarker)]uint32 // by slot: stamp of the last lookup that set it
	val      [len(supportedArrayMarker)]uint16 // by slot: that lookup's value
	stamp    uint32
	acc      [len(supportedArrayMarker)]float64 // by candidate: one chunk's sum
	found    [len(supportedArrayMarker)]int     // by candidate: one chunk's n-grams found
	totals   [len(supportedArrayMarker)]float64 // by candidate
	wins     [len(supportedArrayMarker)]int     // by candidate
}

var longScratchPool = sync.Pool{New: func() any { return new(longScratch) }}

func (sc *longScratch) reset(n int) {
	clear(sc.isCand[:])
	clear(sc.mark[:])
	clear(sc.totals[:n])
	clear(sc.wins[:n])
	sc.stamp = 0
}

// startArticle sizes the trigram table for the letters of the chunks.
func (sc *longScratch) startArticle(chunks [][]word) {
	letters := 0
	for _, c := range chunks {
		for _, w := range c {
			letters += w.runes
		}
	}
	if want := 2 * letters; len(sc.seen) < want {
		n := 1 << bits.Len(uint(want))
		sc.seen, sc.seenRow = make([]uint64, n), make([]int32, n)
	} else {
		clear(sc.seen)
	}
	sc.zeroRow = -1
	sc.rows = sc.rows[:0]
	sc.rowChunk = sc.rowChunk[:0]
}

// row returns the row of the trigram t, whose first rune is n1 bytes long
// and first two n2, adding it if the text has not had it yet.
func (sc *longScratch) row(x *ngramIndex, t string, n1, n2, nc int) int {
	h := hashString(t)
	var slot int
	if h == 0 {
		if sc.zeroRow >= 0 {
			return int(sc.zeroRow)
		}
	} else {
		mask := len(sc.seen) - 1
		for slot = int(h>>32) & mask; ; slot = (slot + 1) & mask {
			if sc.seen[slot] == h {
				return int(sc.seenRow[slot])
			}
			if sc.seen[slot] == 0 {
				break
			}
		}
	}
	row := len(sc.rowChunk)
	if h == 0 {
		sc.zeroRow = int32(row)
	} else {
		sc.seen[slot], sc.seenRow[slot] = h, int32(row)
	}
	sc.rowChunk = append(sc.rowChunk, -1)
	sc.lookup(x, [longOrder + 1]uint64{0, hashString(t[:n1]), hashString(t[:n2]), h}, nc)
	for _, s := range sc.slots[:nc] {
		q := int32(-1)
		if sc.mark[s] == sc.stamp {
			q = int32(sc.val[s])
		}
		sc.rows = append(sc.rows, q)
	}
	return row
}

// lookup sets, for the languages of the index, the log probability of the
// trigram g backed off to its longest prefix the language knows: val[slot]
// where mark[slot] is the new stamp (grams.sum's rule). It stops backing
// off once the n candidates are served.
func (sc *longScratch) lookup(x *ngramIndex, g [longOrder + 1]uint64, n int) {
	sc.stamp++
	need := n
	for order := longOrder; order >= 1 && need > 0; order-- {
		for _, e := range x.orders[order].get(g[order]) {
			s := e >> 16
			if sc.mark[s] == sc.stamp {
				continue
			}
			sc.mark[s], sc.val[s] = sc.stamp, uint16(e)
			if sc.isCand[s] {
				need--
			}
		}
	}
}

// chunkWords cuts words into pieces of about chunkLetters letters, at most
// maxChunks of them spread evenly over the text. A piece ends at the end of
// a sentence when one falls in its second half, so text that changes
// language between sentences changes it between pieces.
func chunkWords(ws []word) [][]word {
	var chunks [][]word
	start, letters := 0, 0
	cut, cutLetters := -1, 0 // the last sentence end in the second half
	for i, w := range ws {
		letters += w.runes
		if w.sentenceEnd && letters >= chunkLetters/2 {
			cut, cutLetters = i+1, letters
		}
		if letters >= chunkLetters {
			if cut < 0 {
				cut, cutLetters = i+1, letters
			}
			chunks = append(chunks, ws[start:cut])
			start, letters = cut, letters-cutLetters
			cut = -1
		}
	}
	if start < len(ws) {
		if letters < chunkLetters/2 && len(chunks) > 0 {
			last := len(chunks) - 1
			chunks[last] = ws[start-len(chunks[last]):]
		} else {
			chunks = append(chunks, ws[start:])
		}
	}
	if len(chunks) <= maxChunks {
		return chunks
	}
	picked := make([][]word, maxChunks)
	for i := range picked {
		picked[i] = chunks[i*len(chunks)/maxChunks]
	}
	return picked
}

func margin(s []scored) float64 {
	if len(s) < 2 {
		return math.Inf(1)
	}
	return s[0].score - s[1].score
}

func finish(res Result, s []scored, reason string, conf float64) Result {
	res.Reason = reason
	res.Code = supported[s[0].li].code
	res.Confidence = conf
	for i := 0; i < len(s) && i < 5; i++ {
		res.Candidates = append(res.Candidates, Candidate{Code: supported[s[i].li].code, Score: s[i].score})
	}
	return res
}

const undetermined = "und"
