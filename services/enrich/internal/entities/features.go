package entities

import (
	"unicode"
	"unicode/utf8"
)

// Features are 64-bit hashes of (template, value): no feature strings are
// built at run time. Each token's word-level values (normalised form, shape,
// affixes, cluster) are hashed once; the templates mix those hashes.

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashBytes(b []byte) uint64 {
	h := uint64(fnvOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// mix combines a template id and a value hash (splitmix64 finaliser).
func mix(a, b uint64) uint64 {
	x := a*0x9E3779B97F4A7C15 + b
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	x ^= x >> 31
	return x
}

// Feature templates.
const (
	tBias uint64 = iota + 1
	tLower
	tPrefix // +1..4
	_
	_
	_
	tSuffix // +1..5
	_
	_
	_
	_
	tShape
	tFlag
	tLowerM1
	tLowerP1
	tLowerM2
	tLowerP2
	tShapeM1
	tShapeP1
	tBigramL
	tBigramR
	tShape3
	tFirstShape
	tFirst
	tCase
	tCaseFirst
	tHeadShape
	tHeadLower
	tSuffixM1
	tSuffixP1
	tLowerM1Shape
	tShapeLowerP1
	tCluster
	tClusterM1
	tClusterP1
	tClusterM2
	tClusterP2
	tClusterBigram
	tGaz
	tGazWord
	tGazM1
	tGazP1
	tDocCase
	tTrigramL
	tTrigramR
	tQuoted
	// Second stage (stacked) templates: the first stage's labels of the
	// token and its neighbours, and what the first stage said about the
	// other occurrences of the word in the article.
	tS1Label
	tS1LabelM1
	tS1LabelP1
	tS1Labels3
	tS1TypeM2
	tS1TypeP2
	tS1Word
	tHist
	tHistNone
	tHistBest
	tHistLabel
)

// Gazetteer classes of a word (bits of the model's gazetteer table).
const (
	GazLocation      = 1 << iota // a one-word place name
	GazLocationFirst             // first word of a longer place name
	GazLocationRest              // later word of a longer place name
	GazLanguage                  // a language or nationality name
	GazCity                      // a city of the time-zone database
)

// WordKey is the key of a word in the model's word tables (case table,
// clusters, gazetteer): the hash of its normalised lower-case form.
func WordKey(w string) uint64 {
	k, _ := lowerKey(nil, w)
	return k
}

// Word flags.
const (
	fInitCap = 1 << iota
	fAllCaps
	fHasUpper
	fHasDigit
	fAllDigit
	fHasHyphen
	fHasPeriod
	fPunct
	fInitial
	fApostrophe
	fMixedCase
	fLen1
	fLen2
	fLen3
	fLen4to6
	fLen7plus
	fHashtag
	fURL
)

// Case buckets: how often a word is seen in lower case in the training text.
const (
	caseUnseen = iota
	caseNeverLower
	caseRarelyLower
	caseOftenLower
	caseMostlyLower
	caseLowerOnly // the token itself is lower case
)

type wordInfo struct {
	lower   uint64
	shape   uint64
	prefix  [4]uint64
	suffix  [5]uint64
	cluster [4]uint64 // cluster path prefixes of 4, 8, 12 and 16 bits; 0 when unknown or deeper than the path
	flags   uint32
	caseB   uint8
	docB    uint8 // how the word is written elsewhere in the article (docLower, docCapital)
	gaz     uint8 // gazetteer classes seen for this word (bit per type, B/I)
}

// resources are the model's word tables used by the features.
type resources struct {
	caseTable map[uint64]uint8  // lower-case hash -> case bucket
	clusters  map[uint64]uint16 // lower-case hash -> cluster path (clusterBits bits, MSB first)
	// clusterBits is the length of the paths in clusters: clusterDepth, or
	// 12 in models written before version 1.9.0.
	clusterBits int
	gazetteer   map[uint64]uint8 // lower-case hash -> bitmask of types seen in entity names
}

// featurizer extracts features; one per goroutine (it reuses buffers).
type featurizer struct {
	res *resources
	// doc tells how each word is written across the article (nil: unknown).
	doc    map[uint64]uint8
	buf    []byte
	infos  []wordInfo
	quoted []bool
	// own marks, for each feature of the last extract, whether it is one
	// of the word's own (a function of the word and the model alone).
	own []bool
	// Second stage: the first stage's labels of the sentence being
	// featurised (nil in the first stage) and, per word, how the first
	// stage labelled its occurrences in the article.
	s1   []int
	hist map[uint64]histCounts
}

// histCounts counts a word's occurrences in an article by the first stage's
// label (O, B-PER, I-PER, ...).
type histCounts [numLabels]uint16

// labelClass is the history class of a label: 0 for O, 1+type otherwise.
func labelClass(l int) int {
	if l == 0 {
		return 0
	}
	return 1 + labelType(l)
}

// addHistory counts the first stage's labels of one sentence.
func addHistory(hist map[uint64]histCounts, buf []byte, words []string, labels []int) []byte {
	for i, w := range words {
		var k uint64
		k, buf = lowerKey(buf, w)
		c := hist[k]
		c[labels[i]]++
		hist[k] = c
	}
	return buf
}

func newFeaturizer(res *resources) *featurizer {
	return &featurizer{res: res, buf: make([]byte, 0, 64)}
}

// normalise writes the lower-cased word with digits folded to 0 and curly
// quotes made straight.
func normalise(buf []byte, w string) []byte {
	buf = buf[:0]
	for _, r := range w {
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			} else if c >= '0' && c <= '9' {
				c = '0'
			}
			buf = append(buf, c)
			continue
		case r == '\u2019' || r == '\u2018' || r == '`' || r == '\u00b4':
			r = '\''
		case r == '\u201c' || r == '\u201d' || r == '\u201e' || r == '\u00ab' || r == '\u00bb':
			r = '"'
		case r == '\u2013' || r == '\u2014':
			r = '-'
		case unicode.IsDigit(r):
			r = '0'
		default:
			r = unicode.ToLower(r)
		}
		buf = utf8.AppendRune(buf, r)
	}
	return buf
}

// lowerKey is the hash under which the word tables store a word.
func lowerKey(buf []byte, w string) (uint64, []byte) {
	buf = normalise(buf, w)
	return hashBytes(buf), buf
}

func (fz *featurizer) word(w string) wordInfo {
	var wi wordInfo
	fz.buf = normalise(fz.buf, w)
	lw := fz.buf
	wi.lower = hashBytes(lw)
	// Affixes of the normalised form, in runes.
	n := 0
	for i := 0; i < len(lw) && n < 4; {
		_, size := utf8.DecodeRune(lw[i:])
		i += size
		if i < len(lw) || n == 0 {
			wi.prefix[n] = hashBytes(lw[:i])
		}
		n++
	}
	n = 0
	for j := len(lw); j > 0 && n < 5; {
		_, size := utf8.DecodeLastRune(lw[:j])
		j -= size
		if j > 0 {
			wi.suffix[n] = hashBytes(lw[j:])
		}
		n++
	}
	// Shape (runs collapsed) and flags.
	var shape [16]byte
	ns := 0
	var last byte
	upper, lower, digit, letters, runes := 0, 0, 0, 0, 0
	var flags uint32
	first := true
	for _, r := range w {
		runes++
		var c byte
		switch {
		case unicode.IsUpper(r):
			c = 'X'
			upper++
			letters++
			if first {
				flags |= fInitCap
			}
		case unicode.IsLower(r):
			c = 'x'
			lower++
			letters++
		case unicode.IsLetter(r):
			c = 'x'
			letters++
		case unicode.IsDigit(r):
			c = 'd'
			digit++
		case r < utf8.RuneSelf:
			c = byte(r)
		case r == '\u2019' || r == '\u2018':
			c = '\''
		case r == '\u201c' || r == '\u201d' || r == '\u201e' || r == '\u00ab' || r == '\u00bb':
			c = '"'
		case r == '\u2013' || r == '\u2014':
			c = '-'
		default:
			c = '?'
		}
		switch c {
		case '-':
			flags |= fHasHyphen
		case '.':
			flags |= fHasPeriod
		case '\'':
			flags |= fApostrophe
		}
		first = false
		if c != last && ns < len(shape) {
			shape[ns] = c
			ns++
		}
		last = c
	}
	wi.shape = hashBytes(shape[:ns])
	if upper > 0 {
		flags |= fHasUpper
	}
	if upper >= 2 && lower == 0 {
		flags |= fAllCaps
	}
	if upper > 0 && lower > 0 && flags&fInitCap == 0 {
		flags |= fMixedCase
	}
	if digit > 0 {
		flags |= fHasDigit
		if digit == runes {
			flags |= fAllDigit
		}
	}
	if letters == 0 && digit == 0 {
		flags |= fPunct
	}
	if letters == 1 && runes == 2 && flags&fHasPeriod != 0 {
		flags |= fInitial
	}
	switch {
	case runes == 1:
		flags |= fLen1
	case runes == 2:
		flags |= fLen2
	case runes == 3:
		flags |= fLen3
	case runes <= 6:
		flags |= fLen4to6
	default:
		flags |= fLen7plus
	}
	if len(w) > 1 && (w[0] == '#' || w[0] == '@') {
		flags |= fHashtag
	}
	if len(w) > 4 && (hasPrefixFold(w, "http") || hasPrefixFold(w, "www.")) {
		flags |= fURL
	}
	wi.flags = flags
	if fz.res != nil {
		if letters > 0 && upper == 0 {
			wi.caseB = caseLowerOnly
		} else if b, ok := fz.res.caseTable[wi.lower]; ok {
			wi.caseB = b
		}
		if c, ok := fz.res.clusters[wi.lower]; ok {
			for i := range wi.cluster {
				if shift := fz.res.clusterBits - 4*(i+1); shift >= 0 {
					wi.cluster[i] = uint64(c>>shift) | uint64(i+1)<<20
				}
			}
		}
		wi.gaz = fz.res.gazetteer[wi.lower]
	}
	if fz.doc != nil {
		wi.docB = fz.doc[wi.lower]&(docLower|docCapital) | docKnown
	}
	return wi
}

func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

var padInfo = wordInfo{lower: 0xB05, shape: 0xB05}

// extract appends the features of each token of a sentence to feats and the
// end offset of each token's features to ends. fz.own tells which of the
// appended features are the word's own.
func (fz *featurizer) extract(words []string, feats []uint64, ends []int32) ([]uint64, []int32) {
	n := len(words)
	base := len(feats)
	fz.own = fz.own[:0]
	// markOwn records feats[from:] as the word's own features and those
	// before from, since the last call, as not.
	markOwn := func(from int) {
		for len(fz.own) < len(feats)-base {
			fz.own = append(fz.own, len(fz.own) >= from-base)
		}
	}
	if cap(fz.infos) < n {
		fz.infos = make([]wordInfo, n)
	}
	infos := fz.infos[:n]
	caps, letterWords := 0, 0
	for i, w := range words {
		infos[i] = fz.word(w)
		f := infos[i].flags
		if f&(fPunct|fAllDigit) == 0 {
			letterWords++
			if f&fAllCaps != 0 {
				caps++
			}
		}
	}
	headline := letterWords >= 3 && caps*10 >= letterWords*6
	// Tokens inside a pair of quotes (titles of works, names in quotes).
	if cap(fz.quoted) < n {
		fz.quoted = make([]bool, n)
	}
	quoted := fz.quoted[:n]
	clear(quoted)
	open := -1
	for i, w := range words {
		if isQuoteToken(w) {
			if open >= 0 && i-open > 1 && i-open <= 12 {
				for k := open + 1; k < i; k++ {
					quoted[k] = true
				}
				open = -1
			} else {
				open = i
			}
		}
	}
	at := func(i int) *wordInfo {
		if i < 0 || i >= n {
			return &padInfo
		}
		return &infos[i]
	}
	for i := range n {
		w := &infos[i]
		p1, n1, p2, n2 := at(i-1), at(i+1), at(i-2), at(i+2)
		from := len(feats)
		feats = append(feats,
			mix(tBias, 1),
			mix(tLower, w.lower),
			mix(tShape, w.shape),
		)
		markOwn(from)
		feats = append(feats,
			mix(tLowerM1, p1.lower),
			mix(tLowerP1, n1.lower),
			mix(tLowerM2, p2.lower),
			mix(tLowerP2, n2.lower),
			mix(tShapeM1, p1.shape),
			mix(tShapeP1, n1.shape),
			mix(tBigramL, mix(p1.lower, w.lower)),
			mix(tBigramR, mix(w.lower, n1.lower)),
			mix(tShape3, mix(mix(p1.shape, w.shape), n1.shape)),
			mix(tSuffixM1, p1.suffix[2]),
			mix(tSuffixP1, n1.suffix[2]),
			mix(tLowerM1Shape, mix(p1.lower, w.shape)),
			mix(tShapeLowerP1, mix(w.shape, n1.lower)),
		)
		from = len(feats)
		for k, h := range w.prefix {
			if h != 0 {
				feats = append(feats, mix(tPrefix+uint64(k), h))
			}
		}
		for k, h := range w.suffix {
			if h != 0 {
				feats = append(feats, mix(tSuffix+uint64(k), h))
			}
		}
		for f := w.flags; f != 0; f &= f - 1 {
			feats = append(feats, mix(tFlag, uint64(f&-f)))
		}
		markOwn(from)
		// Sentence-initial capitals say little: the model learns that from
		// the position and case-bucket conjunctions.
		first := i == 0 || (i == 1 && p1.flags&fPunct != 0)
		if first {
			feats = append(feats, mix(tFirst, 1), mix(tFirstShape, w.shape), mix(tCaseFirst, uint64(w.caseB)))
		}
		from = len(feats)
		feats = append(feats, mix(tCase, uint64(w.caseB)|uint64(w.flags&(fInitCap|fAllCaps))<<8))
		markOwn(from)
		feats = append(feats, mix(tTrigramL, mix(p2.lower, p1.lower)), mix(tTrigramR, mix(n1.lower, n2.lower)))
		if quoted[i] {
			feats = append(feats, mix(tQuoted, uint64(w.flags&(fInitCap|fAllCaps))))
		}
		if w.docB != 0 && w.flags&fHasUpper != 0 {
			f := uint64(0)
			if first {
				f = 1
			}
			feats = append(feats, mix(tDocCase, uint64(w.docB)|uint64(w.flags&(fInitCap|fAllCaps))<<8|f<<16))
		}
		if headline {
			feats = append(feats, mix(tHeadShape, w.shape), mix(tHeadLower, mix(w.lower, uint64(w.caseB))))
		}
		from = len(feats)
		for _, c := range w.cluster {
			if c != 0 {
				feats = append(feats, mix(tCluster, c))
			}
		}
		markOwn(from)
		if p1.cluster[2] != 0 {
			feats = append(feats, mix(tClusterM1, p1.cluster[2]), mix(tClusterM1, p1.cluster[0]))
		}
		if n1.cluster[2] != 0 {
			feats = append(feats, mix(tClusterP1, n1.cluster[2]), mix(tClusterP1, n1.cluster[0]))
		}
		if p2.cluster[1] != 0 {
			feats = append(feats, mix(tClusterM2, p2.cluster[1]))
		}
		if n2.cluster[1] != 0 {
			feats = append(feats, mix(tClusterP2, n2.cluster[1]))
		}
		from = len(feats)
		if w.gaz != 0 {
			caps := uint64(w.flags & (fInitCap | fAllCaps))
			for g := w.gaz; g != 0; g &= g - 1 {
				b := uint64(g & -g)
				feats = append(feats, mix(tGaz, b), mix(tGazWord, b|caps<<8))
			}
		}
		markOwn(from)
		if p1.gaz != 0 {
			feats = append(feats, mix(tGazM1, uint64(p1.gaz)))
		}
		if n1.gaz != 0 {
			feats = append(feats, mix(tGazP1, uint64(n1.gaz)))
		}
		if fz.s1 != nil {
			feats = fz.stage2(feats, i, w)
		}
		markOwn(len(feats)) // the rest of the token's features are context
		ends = append(ends, int32(len(feats)))
	}
	return feats, ends
}

// Document case bits.
const (
	docLower   = 1 << iota // written in lower case somewhere in the article
	docCapital             // capitalised somewhere other than a sentence start
	docKnown               // the article was seen (the bits above are meaningful)
	// docMixed: capitalised and not all in capitals somewhere other than a
	// sentence start ("Bush", not "BUSH"); read by the news rules, not a
	// feature.
	docMixed
)

// docCase records how the words of an article's sentences are written.
func docCase(doc map[uint64]uint8, buf []byte, words []string) []byte {
	for i, w := range words {
		var k uint64
		k, buf = lowerKey(buf, w)
		upper, lower, letter := false, false, false
		for _, r := range w {
			if unicode.IsUpper(r) {
				upper = true
			}
			if unicode.IsLower(r) {
				lower = true
			}
			if unicode.IsLetter(r) {
				letter = true
			}
		}
		switch {
		case !letter:
		case !upper:
			doc[k] |= docLower
		case i > 0 && lower:
			doc[k] |= docCapital | docMixed
		case i > 0:
			doc[k] |= docCapital
		}
	}
	return buf
}

func isQuoteToken(w string) bool {
	switch w {
	case "\"", "'", "\u201c", "\u201d", "\u201e", "\u2018", "\u2019", "\u00ab", "\u00bb", "``", "''":
		return true
	}
	return false
}

// stage2 appends the second stage's features of token i.
func (fz *featurizer) stage2(feats []uint64, i int, w *wordInfo) []uint64 {
	s1 := fz.s1
	n := len(s1)
	lab := func(j int) uint64 {
		if j < 0 || j >= n {
			return uint64(numLabels + 1)
		}
		return uint64(s1[j])
	}
	typ := func(j int) uint64 {
		if j < 0 || j >= n {
			return uint64(numTypes + 1)
		}
		return uint64(labelClass(s1[j]))
	}
	l, lm, lp := lab(i), lab(i-1), lab(i+1)
	feats = append(feats,
		mix(tS1Label, l),
		mix(tS1LabelM1, lm),
		mix(tS1LabelP1, lp),
		mix(tS1Labels3, lm|l<<8|lp<<16),
		mix(tS1TypeM2, typ(i-2)),
		mix(tS1TypeP2, typ(i+2)),
		mix(tS1Word, mix(w.lower, l)),
	)
	if fz.hist == nil || w.flags&fPunct != 0 {
		return feats
	}
	cl, ok := fz.hist[w.lower]
	if !ok {
		return feats
	}
	// The other occurrences: the token's own first-stage label left out.
	if cl[s1[i]] > 0 {
		cl[s1[i]]--
	}
	var c [numTypes + 1]int
	for l, x := range cl {
		c[labelClass(l)] += int(x)
	}
	caps := uint64(w.flags&(fInitCap|fAllCaps)) << 8
	for l := 1; l < numLabels; l++ {
		if cl[l] > 0 {
			feats = append(feats, mix(tHistLabel, uint64(l)|caps))
		}
	}
	total := 0
	for _, x := range c {
		total += x
	}
	if total == 0 {
		return feats
	}
	ents, best := 0, 0
	for t := 1; t <= numTypes; t++ {
		ents += c[t]
		if c[t] > 0 && (best == 0 || c[t] > c[best]) {
			best = t
		}
		if c[t] > 0 {
			maj := uint64(0)
			if c[t]*2 > total {
				maj = 1
			}
			feats = append(feats, mix(tHist, uint64(t)|maj<<4|caps))
		}
	}
	if ents == 0 {
		feats = append(feats, mix(tHistNone, caps|min(uint64(total), 3)))
	} else {
		feats = append(feats, mix(tHistBest, uint64(best)|caps|uint64(labelClass(s1[i]))<<4))
	}
	return feats
}
