package date

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// Ref is the reference date relative expressions are resolved against: the
// publication date, as precise as it is known.
type Ref struct {
	T         time.Time
	Precision article.Precision
}

// rank orders precisions, coarsest first.
func rank(p article.Precision) int {
	switch p {
	case article.PrecisionYear:
		return 1
	case article.PrecisionMonth:
		return 2
	case article.PrecisionDay:
		return 3
	case article.PrecisionMinute, article.PrecisionSecond:
		return 4
	}
	return 0
}

// Mention is a date expression found in a text: byte offsets, end exclusive.
type Mention struct {
	Start, End int
	Text       string
	Value      string
	// anaphor shifts the last mentioned time by this many years ("a year
	// earlier"), when there is one close before.
	anaphor int
}

// Languages are the languages with words for dates; text in any other
// language gets the numeric forms only.
func Languages() []string {
	out := keys(lexicons)
	slices.Sort(out)
	return out
}

// FindMentions returns the date and time expressions of text in language
// lang, resolved against ref, in text order and without overlaps.
//
// Each rule finds its matches as Go's regexp.FindAllStringSubmatchIndex
// would in each window (leftmost first, one match ending where the next
// search starts, a match rejected below still taking its text), but a
// rule is only tried where the byte can start it.
func FindMentions(text, lang string, ref Ref) []Mention {
	lx := lexicons[lang]
	rs := ruleSets[lang]
	if lx == nil {
		rs = ruleSets[""]
	}
	type cand struct {
		Mention
		prio int
	}
	var cands []cand
	folded := fold(text)
	next := make([]int, len(rs.rules)) // where each rule's next match may start
	caps := make([]int, 2*(rs.maxCap+1))
	for i := range caps {
		caps[i] = -1
	}
	for _, win := range windows(text, lang) {
		s := folded[:win[1]]
		for p := win[0]; p < win[1]; p++ {
			for mask := rs.starts(s, p); mask != 0; mask &= mask - 1 {
				prio := bits.TrailingZeros64(mask)
				r := &rs.rules[prio]
				if next[prio] > p {
					continue
				}
				loc := caps[:2*(r.pat.ncap+1)]
				if !r.pat.matchAt(s, win[0], p, loc) {
					continue
				}
				next[prio] = loc[1]
				g := groups{text: text, names: r.pat.names, loc: slices.Clone(loc)}
				for i := range loc {
					loc[i] = -1
				}
				start, end := g.loc[0], g.loc[1]
				if s, e, ok := g.span("span"); ok {
					start, end = s, e
				}
				if !boundary(text, start, end) {
					continue
				}
				value, ok := resolve(r.kind, g, lx, ref, text, start, end)
				if !ok || value == "" {
					continue
				}
				if lx != nil && lx.capitalised && !capitalOK(r.kind, g) {
					continue
				}
				m := Mention{Start: start, End: end, Text: text[start:end], Value: value}
				if r.kind == kYearEarlier {
					m.anaphor = -1
				}
				cands = append(cands, cand{m, prio})
			}
		}
	}
	// longest first, then earliest rule; keep what does not overlap
	slices.SortStableFunc(cands, func(a, b cand) int {
		if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
			return lb - la
		}
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return a.prio - b.prio
	})
	var out []Mention
	for _, c := range cands {
		overlaps := false
		for _, m := range out {
			if c.Start < m.End && m.Start < c.End {
				overlaps = true
				break
			}
		}
		if !overlaps {
			out = append(out, c.Mention)
		}
	}
	slices.SortFunc(out, func(a, b Mention) int { return a.Start - b.Start })
	resolveAnaphors(out)
	return out
}

// anaphorReach is how far back a mention may be for "a year earlier" to
// refer to it.
const anaphorReach = 300

// resolveAnaphors gives "a year earlier" the value of the last mentioned
// time a year back, at that mention's granularity: after "the third quarter"
// (1989-Q3) it is 1988-Q3. Without a mention close before it stays a year
// before the reference.
func resolveAnaphors(ms []Mention) {
	for i := range ms {
		if ms[i].anaphor == 0 {
			continue
		}
		for j := i - 1; j >= 0; j-- {
			if ms[i].Start-ms[j].End > anaphorReach {
				break
			}
			if ms[j].anaphor != 0 || len(ms[j].Value) <= 4 {
				continue
			}
			if v, ok := shiftYears(ms[j].Value, ms[i].anaphor); ok {
				ms[i].Value = v
			}
			break
		}
		ms[i].anaphor = 0
	}
}

// shiftYears moves an ISO or TimeML value by n years, keeping its form.
func shiftYears(v string, n int) (string, bool) {
	y, err := strconv.Atoi(v[:4])
	if err != nil {
		return "", false
	}
	out := fmt.Sprintf("%04d", y+n) + v[4:]
	if len(v) >= 10 && v[4] == '-' && v[7] == '-' {
		if _, err := time.Parse("2006-01-02", out[:10]); err != nil {
			return "", false // 29 February
		}
	}
	return out, true
}

// capitalOK checks that month and day names start with a capital letter.
func capitalOK(k kind, g groups) bool {
	for _, name := range []string{"month", "wd"} {
		if s := g.get(name); s != "" {
			r, _ := utf8.DecodeRuneInString(s)
			if !unicode.IsUpper(r) {
				return false
			}
		}
	}
	return true
}

// fold lower-cases text rune by rune where that keeps the byte length, so
// that offsets in the folded text are offsets in text (case-insensitive
// regexps are several times slower in Go).
func fold(text string) string {
	b := []byte(text)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				b[i] += 'a' - 'A'
			}
		} else if l := unicode.ToLower(r); l != r && utf8.RuneLen(l) == n {
			utf8.EncodeRune(b[i:], l)
		}
		i += n
	}
	return string(b)
}

// Margins of text around an anchor word that the rules see: enough for
// "il y a deux" before "jours" and "de septiembre de 2020" after "14".
const (
	leftMargin  = 40
	rightMargin = 60
)

// windows returns the stretches of text worth running the rules on: around
// the anchors every date expression contains (a digit, a month or day name,
// a word for a day, a unit or a season), merged where they meet. Most of a
// news text has none.
func windows(text, lang string) [][2]int {
	anchors := anchorSets[lang]
	if anchors == nil {
		anchors = anchorSets[""] // none: digits only
	}
	var out [][2]int
	addWin := func(s, e int) {
		s, e = max(0, s-leftMargin), min(len(text), e+rightMargin)
		for s > 0 && !utf8.RuneStart(text[s]) {
			s--
		}
		for e < len(text) && !utf8.RuneStart(text[e]) {
			e++
		}
		if n := len(out); n > 0 && s <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], e)
			return
		}
		out = append(out, [2]int{s, e})
	}
	start := -1
	digit := false
	word := func(end int) {
		if digit || anchors.has(text[start:end]) {
			addWin(start, end)
		}
		start = -1
	}
	for i, r := range text {
		if r < utf8.RuneSelf {
			// ASCII fast path of the test below
			if 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '\'' {
				if start < 0 {
					start, digit = i, false
				}
				digit = digit || '0' <= r && r <= '9'
				continue
			}
		} else if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '’' {
			if start < 0 {
				start, digit = i, false
			}
			digit = digit || unicode.IsDigit(r)
			continue
		}
		if start >= 0 {
			word(i)
		}
	}
	if start >= 0 {
		word(len(text))
	}
	return out
}

// anchorSet holds one language's anchor words.
type anchorSet struct {
	words map[string]bool
	// prefixes are the anchors of four bytes and more, which also anchor
	// the words they start (compounds: maandagavond, Montagabend,
	// vanochtend); heads are their first four bytes.
	prefixes  map[string]bool
	heads     map[string]bool
	maxPrefix int
	// pairs[b] holds the second bytes of the anchors (and prefixes) that
	// start with the ASCII byte b, lower case: most words fail there.
	pairs [utf8.RuneSelf]byteSet
}

// has reports whether w, as written, is an anchor or starts with one.
func (a *anchorSet) has(w string) bool {
	if len(w) >= 2 && w[0] < utf8.RuneSelf && w[1] < utf8.RuneSelf && !a.pairs[lowerASCII(w[0])].has(lowerASCII(w[1])) {
		return false
	}
	var buf [32]byte
	if lw, ok := lowerASCIIWord(buf[:0], w); ok {
		return a.hasLower(lw) // w is ASCII: strings.ToLower(w), without allocating
	}
	return a.hasLower([]byte(strings.ToLower(w)))
}

func (a *anchorSet) hasLower(w []byte) bool {
	if a.words[string(w)] {
		return true
	}
	if len(w) < 4 || !a.heads[string(w[:4])] {
		return false
	}
	for n := 4; n <= len(w) && n <= a.maxPrefix; n++ {
		if a.prefixes[string(w[:n])] {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lowerASCIIWord appends w in lower case to buf if w is ASCII.
func lowerASCIIWord(buf []byte, w string) ([]byte, bool) {
	for i := 0; i < len(w); i++ {
		if w[i] >= utf8.RuneSelf {
			return nil, false
		}
		buf = append(buf, lowerASCII(w[i]))
	}
	return buf, true
}

var anchorSets = func() map[string]*anchorSet {
	out := make(map[string]*anchorSet, len(anchorWords))
	for code, m := range anchorWords {
		a := &anchorSet{words: m, prefixes: map[string]bool{}, heads: map[string]bool{}}
		// every key counts as a prefix, whatever its value: a word for
		// another language's noon is still a prefix here
		for w, anchor := range m {
			if len(w) >= 4 {
				a.prefixes[w] = true
				a.heads[w[:4]] = true
				a.maxPrefix = max(a.maxPrefix, len(w))
			}
			if (anchor || len(w) >= 4) && len(w) >= 2 && w[0] < utf8.RuneSelf {
				a.pairs[w[0]].add(w[1])
			}
		}
		out[code] = a
	}
	return out
}()

// anchorWords are, per language, the words at least one of which every
// date expression of that language contains.
var anchorWords = func() map[string]map[string]bool {
	out := map[string]map[string]bool{"": {}}
	for code, lx := range lexicons {
		m := map[string]bool{}
		add := func(phrase string) {
			for _, w := range strings.FieldsFunc(phrase, func(r rune) bool { return !unicode.IsLetter(r) }) {
				m[strings.ToLower(w)] = true
			}
		}
		for _, ws := range [][]string{keys(lx.months), keys(lx.weekdays), keys(lx.units), keys(lx.seasons), lx.quarter, lx.now, keys(lx.parts)} {
			for _, w := range ws {
				add(w)
			}
		}
		for w := range lx.relDays {
			// the day word, not the filler: "the day before yesterday" -> yesterday
			f := strings.Fields(w)
			add(f[len(f)-1])
			add(f[0])
		}
		for _, w := range []string{"noon", "midday", "midnight", "weekend", "earlier", "ago"} {
			m[w] = code == "en"
		}
		delete(m, "the")
		delete(m, "a")
		delete(m, "la")
		delete(m, "el")
		out[code] = m
	}
	return out
}()

// boundary reports whether text[start:end] stands as whole words.
func boundary(text string, start, end int) bool {
	if start >= end {
		return false
	}
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

type groups struct {
	text  string
	names []string
	loc   []int
}

func (g groups) span(name string) (int, int, bool) {
	for i, n := range g.names {
		if n == name && g.loc[2*i] >= 0 {
			return g.loc[2*i], g.loc[2*i+1], true
		}
	}
	return 0, 0, false
}

func (g groups) get(name string) string {
	if s, e, ok := g.span(name); ok {
		return g.text[s:e]
	}
	return ""
}

func (g groups) lower(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(g.get(name))), " ")
}

func (g groups) int(name string) (int, bool) {
	s := g.get(name)
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func ymd(t time.Time) string { return t.Format("2006-01-02") }

func day(y int, m time.Month, d int) (time.Time, bool) {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == d && t.Month() == m
}

func monthOf(lx *lexicon, s string) (time.Month, bool) {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	m, ok := lx.months[s]
	return time.Month(m), ok
}

// resolve computes the value of a match, or false when it is no date.
func resolve(k kind, g groups, lx *lexicon, ref Ref, text string, start, end int) (string, bool) {
	r := ref.T
	switch k {
	case kISO:
		y, _ := g.int("y")
		mo, _ := g.int("mo")
		d, _ := g.int("d")
		t, ok := day(y, time.Month(mo), d)
		if !ok {
			return "", false
		}
		if h, ok := g.int("h"); ok {
			mi, _ := g.int("mi")
			return fmt.Sprintf("%sT%02d:%02d", ymd(t), h, mi), true
		}
		return ymd(t), true
	case kNumeric:
		a, _ := g.int("a")
		b, _ := g.int("b")
		y, _ := g.int("y")
		ys := g.get("y")
		if len(ys) == 2 {
			if g.get("sep") == "-" {
				return "", false // 3-2-19 reads like a score or a code
			}
			y += 1900
			if y < 1950 {
				y += 100
			}
		}
		d, m := a, b
		if lx != nil && lx.monthFirst && a <= 12 {
			d, m = b, a
		}
		if m > 12 && d <= 12 {
			d, m = m, d
		}
		t, ok := day(y, time.Month(m), d)
		if !ok {
			return "", false
		}
		return ymd(t), true
	case kDayMonth:
		m, ok := monthOf(lx, g.get("month"))
		if !ok {
			return "", false
		}
		d, _ := g.int("d")
		if y, ok := g.int("y"); ok {
			t, ok := day(y, m, d)
			if !ok {
				return "", false
			}
			return ymd(t), true
		}
		if rank(ref.Precision) < 1 {
			return "", false
		}
		y := inferYear(r, ref.Precision, m, d, future(lx, before(text, start)))
		t, ok := day(y, m, d)
		if !ok {
			return "", false
		}
		return ymd(t), true
	case kMonthYear:
		m, ok := monthOf(lx, g.get("month"))
		y, _ := g.int("y")
		if !ok {
			return "", false
		}
		return fmt.Sprintf("%04d-%02d", y, m), true
	case kMonth:
		m, ok := monthOf(lx, g.get("month"))
		if !ok || rank(ref.Precision) < 1 {
			return "", false
		}
		if off, ok := modOffset(g, lx); ok {
			// last May: the most recent May before the reference month
			y := r.Year()
			switch {
			case off < 0 && m >= r.Month():
				y--
			case off > 0 && m <= r.Month():
				y++
			}
			return fmt.Sprintf("%04d-%02d", y, m), true
		}
		return fmt.Sprintf("%04d-%02d", inferYear(r, ref.Precision, m, 0, future(lx, before(text, start))), m), true
	case kYear:
		if !yearContext(lx, text, start, end) {
			return "", false
		}
		return g.get("y"), true
	case kDecade:
		return g.get("dec"), true
	case kWeekday:
		return resolveWeekday(g, lx, ref, text, start, end)
	case kRelDay:
		rd, ok := lx.relDays[g.lower("rel")]
		if !ok || !relDayAllowed(g.lower("rel"), text, start) {
			return "", false
		}
		v := ymd(r.AddDate(0, 0, rd.offset))
		if p := lx.parts[g.lower("part")]; rd.part == "" && p != "" {
			rd.part = p
		}
		if rd.part != "" {
			v += "T" + rd.part
		}
		return truncateDay(v, ref), true
	case kRelUnit:
		off, ok := modOffset(g, lx)
		if !ok {
			return "", false
		}
		return relUnit(lx.units[g.lower("unit")], off, ref)
	case kAgo:
		n, ok := g.int("n")
		if !ok {
			n, ok = lx.numbers[g.lower("n")]
			if !ok || n == 0 {
				return "", false
			}
		}
		dir := -1
		if a := g.lower("ago"); a == "later" {
			dir = 1
		}
		return agoValue(lx.units[g.lower("unit")], dir*n, ref)
	case kQuarter:
		q, ok := lx.ordinals[g.lower("ord")]
		if !ok {
			return "", false
		}
		y := r.Year()
		if yy, ok := g.int("y"); ok {
			y = yy
		} else if rank(ref.Precision) < 1 {
			return "", false
		}
		return fmt.Sprintf("%04d-Q%d", y, q), true
	case kQuarterRel:
		if rank(ref.Precision) < 2 {
			return "", false
		}
		qrel := g.lower("qrel")
		if qrel == "" && !strings.HasPrefix(strings.ToLower(text[start:end]), "the") {
			return "", false // "quarter" alone is a fraction, not a period
		}
		cur, y := (int(r.Month())-1)/3+1, r.Year()
		switch qrel {
		case "current":
		case "", "latest", "last", "previous":
			// "the quarter" in a results story is the one just ended
			cur--
		default: // same, year-earlier, year-ago
			cur--
			y--
		}
		if cur == 0 {
			cur, y = 4, y-1
		}
		return fmt.Sprintf("%04d-Q%d", y, cur), true
	case kSeason:
		s, ok := lx.seasons[g.lower("season")]
		if !ok {
			return "", false
		}
		if y, ok := g.int("y"); ok {
			return fmt.Sprintf("%04d-%s", y, s), true
		}
		off, ok := modOffset(g, lx)
		if !ok || rank(ref.Precision) < 1 {
			return "", false
		}
		return fmt.Sprintf("%04d-%s", r.Year()+off, s), true
	case kTime:
		h, _ := g.int("h")
		mi, _ := g.int("mi")
		if ap := strings.ToLower(strings.ReplaceAll(g.get("ampm"), ".", "")); ap != "" {
			if h == 12 {
				h = 0
			}
			if ap == "pm" {
				h += 12
			}
		}
		if g.get("suffix") == "h" || strings.EqualFold(g.get("suffix"), "h") {
			// "15 h" needs a plausible hour; "3 h" is often hours of duration
			if g.get("mi") == "" && h < 7 {
				return "", false
			}
		}
		if g.get("ampm") == "" && g.get("suffix") == "" && g.get("mi") == "" {
			return "", false
		}
		return truncateDay(fmt.Sprintf("%sT%02d:%02d", ymd(r), h, mi), ref), true
	case kNoon:
		h := 12
		if strings.EqualFold(g.get("noon"), "midnight") {
			h = 0
		}
		return truncateDay(fmt.Sprintf("%sT%02d:00", ymd(r), h), ref), true
	case kNow:
		return ref.value(), true
	case kWeekend:
		if rank(ref.Precision) < 3 {
			return ref.value(), rank(ref.Precision) > 0
		}
		// the weekend just past, or this one from Friday on
		back := (int(r.Weekday()) + 6) % 7 // days since Monday
		t := r.AddDate(0, 0, -back-1)      // last Sunday
		if r.Weekday() == time.Friday || r.Weekday() == time.Saturday || r.Weekday() == time.Sunday {
			t = r
		}
		if strings.HasPrefix(strings.ToLower(text[start:end]), "next") {
			t = r.AddDate(0, 0, 7-back)
		}
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d-WE", y, w), true
	case kYearEarlier:
		if rank(ref.Precision) < 1 {
			return "", false
		}
		return strconv.Itoa(r.Year() - 1), true
	}
	return "", false
}

// value writes the reference date at its own precision.
func (ref Ref) value() string {
	switch rank(ref.Precision) {
	case 0:
		return "" // no reference: relative expressions cannot be resolved
	case 1:
		return ref.T.Format("2006")
	case 2:
		return ref.T.Format("2006-01")
	}
	return ymd(ref.T)
}

// truncateDay limits a value computed from the reference day to what the
// reference knows.
func truncateDay(v string, ref Ref) string {
	if rank(ref.Precision) >= 3 {
		return v
	}
	return ref.value()
}

// inferYear places a month (and day, 0 for none) without a year in the
// reference year, or in the year before when it would lie after the
// reference and nothing in the sentence speaks of the future: news mostly
// reports what happened. A date up to a week ahead stays in the reference
// year (announced events).
// aheadLimit is how far after the reference a date without a year may lie
// and still be taken in the reference year without a future cue.
const aheadLimit = 62 * 24 * time.Hour

func inferYear(r time.Time, p article.Precision, m time.Month, d int, future bool) int {
	y := r.Year()
	switch {
	case rank(p) < 2 || future:
	case d == 0 || rank(p) == 2:
		if m > r.Month() {
			y--
		}
	case time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(r) > aheadLimit:
		y--
	}
	return y
}

func modOffset(g groups, lx *lexicon) (int, bool) {
	if m := g.lower("mod"); m != "" {
		off, ok := lx.preMods[m]
		return off, ok
	}
	if m := g.lower("pmod"); m != "" {
		off, ok := lx.postMods[m]
		return off, ok
	}
	return 0, false
}

// relUnit resolves "last week", "this year" and the like.
func relUnit(unit string, off int, ref Ref) (string, bool) {
	r := ref.T
	var v string
	need := 3
	switch unit {
	case "D":
		v, need = ymd(r.AddDate(0, 0, off)), 3
	case "W":
		y, w := r.AddDate(0, 0, 7*off).ISOWeek()
		v = fmt.Sprintf("%04d-W%02d", y, w)
	case "WE":
		y, w := r.AddDate(0, 0, 7*off).ISOWeek()
		v = fmt.Sprintf("%04d-W%02d-WE", y, w)
	case "M":
		t := time.Date(r.Year(), r.Month()+time.Month(off), 1, 0, 0, 0, 0, time.UTC)
		v, need = t.Format("2006-01"), 2
	case "Y":
		v, need = strconv.Itoa(r.Year()+off), 1
	default:
		return "", false
	}
	if rank(ref.Precision) < need {
		if rank(ref.Precision) == 0 {
			return "", false
		}
		return ref.value(), true
	}
	return v, true
}

// agoValue resolves "N units ago" at the unit's precision.
func agoValue(unit string, n int, ref Ref) (string, bool) {
	r := ref.T
	var v string
	need := 3
	switch unit {
	case "D":
		v = ymd(r.AddDate(0, 0, n))
	case "W":
		y, w := r.AddDate(0, 0, 7*n).ISOWeek()
		v = fmt.Sprintf("%04d-W%02d", y, w)
	case "M":
		v, need = time.Date(r.Year(), r.Month()+time.Month(n), 1, 0, 0, 0, 0, time.UTC).Format("2006-01"), 2
	case "Y":
		v, need = strconv.Itoa(r.Year()+n), 1
	default:
		return "", false
	}
	if rank(ref.Precision) < need {
		if rank(ref.Precision) == 0 {
			return "", false
		}
		return ref.value(), true
	}
	return v, true
}

// resolveWeekday places a weekday before or after the reference: the most
// recent one (news reports the past) unless a modifier or the sentence
// points to the future.
func resolveWeekday(g groups, lx *lexicon, ref Ref, text string, start, end int) (string, bool) {
	wd, ok := lx.weekdays[g.lower("wd")]
	if !ok {
		return "", false
	}
	r := ref.T
	diff := (wd - int(r.Weekday()) + 7) % 7 // days forward to the next such day (0: today)
	off := diff - 7
	if diff == 0 {
		off = 0
	}
	mod, hasMod := modOffset(g, lx)
	switch {
	case hasMod && mod > 0:
		off = diff
		if diff == 0 {
			off = 7
		}
	case hasMod && mod < 0:
		if diff == 0 {
			off = -7
		}
	case !hasMod && future(lx, before(text, start)):
		off = diff
	}
	v := ymd(r.AddDate(0, 0, off))
	if p := g.lower("part"); p != "" {
		v += "T" + lx.parts[p]
	}
	return truncateDay(v, ref), true
}

// cueWindow is how far before a mention tense cues are looked for.
const cueWindow = 60

// before returns the text of the same sentence shortly before start, where
// "will" or "next" would make a weekday or month lie ahead.
func before(text string, start int) string {
	from := max(0, start-cueWindow)
	s := text[from:start]
	if i := strings.LastIndexAny(s, ".!?\n;"); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func future(lx *lexicon, s string) bool {
	s = " " + strings.ToLower(s) + " "
	for _, c := range lx.futureCues {
		if strings.Contains(s, " "+c+" ") {
			return true
		}
	}
	return false
}

// relDayAllowed rejects "morgen" and "mañana" where they mean morning.
func relDayAllowed(word, text string, start int) bool {
	if word != "morgen" && word != "mañana" {
		return true
	}
	prev := strings.ToLower(lastWord(text[:start]))
	switch prev {
	case "am", "den", "dem", "jeden", "guten", "einen", "de", "deze", "elke", "die", "la", "esta", "cada", "una", "por", "this":
		return false
	}
	return true
}

func lastWord(s string) string {
	s = strings.TrimRightFunc(s, unicode.IsSpace)
	i := strings.LastIndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' })
	return s[i+1:]
}

// yearContext accepts a bare four-digit number as a year only where a year
// reads naturally: after a preposition or date word, or before punctuation
// or the end; never inside a larger number ("2,000", "1998.5").
func yearContext(lx *lexicon, text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if strings.ContainsRune("$€£¥,.:/-+#", r) {
			return false
		}
	}
	after := text[end:]
	if len(after) > 1 && (after[0] == ',' || after[0] == '.') && after[1] >= '0' && after[1] <= '9' {
		return false
	}
	if strings.HasPrefix(after, "%") || strings.HasPrefix(after, " %") || strings.HasPrefix(after, "-") {
		return false
	}
	prev := strings.ToLower(lastWord(text[:start]))
	if lx != nil {
		if slices.Contains(lx.yearContext, prev) {
			return true
		}
		if _, ok := lx.months[strings.TrimSuffix(prev, ".")]; ok {
			return true
		}
	}
	if conjunctions[prev] {
		// "1990 and 1995", "1990 to 1995": a year only after a year
		head := strings.TrimRightFunc(text[:start], unicode.IsSpace)
		head = strings.TrimRightFunc(head[:len(head)-len(lastWord(text[:start]))], unicode.IsSpace)
		return len(head) >= 4 && yearLike(head[len(head)-4:])
	}
	rest := strings.TrimLeft(after, " ")
	return rest == "" || strings.ContainsAny(rest[:1], ",.;:)!?'’\"”")
}

var conjunctions = map[string]bool{"and": true, "or": true, "to": true, "en": true, "of": false, "tot": true, "und": true, "bis": true,
	"et": true, "à": true, "y": true, "a": true, "o": true}

func yearLike(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1600 && n <= 2099
}
