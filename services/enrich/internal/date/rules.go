package date

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// kind names what a rule matched; the resolver turns it into a value.
type kind int

const (
	kISO         kind = iota // 2020-09-14, 2020-09-14T15:00
	kNumeric                 // 14/09/2020, 14.09.2020
	kDayMonth                // 9 augustus (2020), 14 September 2020, September 14, 2020
	kMonthYear               // September 2020
	kMonth                   // (in) March
	kYear                    // 1998
	kDecade                  // the 1990s
	kWeekday                 // (last) Monday (morning)
	kRelDay                  // yesterday, gisteravond
	kRelUnit                 // last week, vorig jaar, la semaine dernière
	kAgo                     // two weeks ago, vor drei Tagen, hace dos años
	kQuarter                 // the third quarter
	kSeason                  // last summer, summer 2020
	kTime                    // 3 p.m., 15:30, 15.00 uur
	kNow                     // now, currently
	kPartOfDay               // (this) morning handled by relDays; bare "Monday night" by kWeekday
	kNoon                    // noon, midnight
	kQuarterRel              // the latest quarter, last quarter
	kWeekend                 // the weekend
	kYearEarlier             // a year earlier: the last mentioned time, a year before
)

// rule is one pattern of one language: a regular expression (see
// match.go for how it runs).
type rule struct {
	kind kind
	expr string
	pat  *pattern
}

// alt builds an alternation of words, longest first so that "sept" is tried
// before "sep", with spaces matching any run of spaces.
func alt(words []string) string {
	ws := slices.Clone(words)
	sort.Slice(ws, func(i, j int) bool { return len(ws[i]) > len(ws[j]) })
	for i, w := range ws {
		ws[i] = strings.ReplaceAll(regexp.QuoteMeta(w), " ", `\s+`)
		ws[i] = strings.ReplaceAll(ws[i], "'", `['’]`)
	}
	return "(?:" + strings.Join(ws, "|") + ")"
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// monthAlt matches a month name; abbreviations may take a full stop.
func monthAlt(lx *lexicon) string {
	var full, abbr []string
	for k := range lx.months {
		if len(k) <= 4 && k != "mai" && k != "mei" && k != "juin" && k != "mars" && k != "may" && k != "août" && k != "aout" && k != "mayo" && k != "june" && k != "july" {
			abbr = append(abbr, k)
		} else {
			full = append(full, k)
		}
	}
	return "(?:" + alt(full) + "|" + alt(abbr) + `\.?)`
}

// numeric patterns shared by every language
const (
	isoPat  = `(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?`
	numPat  = `(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})[./-](?P<y>\d{4}|\d{2})`
	timePat = `(?P<h>[01]?\d|2[0-3]):(?P<mi>[0-5]\d)`
)

// buildRules compiles the rules of one language (nil: numeric rules only).
func buildRules(lx *lexicon) []rule {
	var rs []rule
	add := func(k kind, pat string) {
		// patterns are lower case and run on lower-cased text (see fold)
		p, err := compilePattern(pat)
		if err != nil {
			panic(fmt.Sprintf("date: rule %d: %v", k, err))
		}
		rs = append(rs, rule{kind: k, expr: pat, pat: p})
	}
	add(kISO, isoPat)
	add(kNumeric, numPat)
	if lx == nil {
		add(kTime, timePat)
		return rs
	}
	month := `(?P<month>` + monthAlt(lx) + `)`
	year := `(?P<y>1[5-9]\d\d|20\d\d)`
	day := `(?P<d>[0-3]?\d)(?:st|nd|rd|th|er|e|\.|º)?`
	of := ""
	if lx.dayOf != "" {
		of = `(?:` + lx.dayOf + `\s+)?`
	}
	mods := `(?:(?P<mmod>early|late|mid|mid-|begin|eind|medio|anfang|ende|mitte|début|fin|mi-|principios\s+de|finales\s+de|mediados\s+de)\s*)?`
	if lx == lexicons["en"] {
		mods = `(?:(?P<mmod>early|late|mid-|mid)\s*)?`
	}
	// 14 September 2020, 9 augustus, 14 de septiembre de 2020, 14. März
	add(kDayMonth, mods+day+`\s*`+of+month+`(?:,?\s*`+of+`(?:del\s+)?`+year+`)?`)
	if lx.monthFirst {
		// September 14, 2020 and Sept. 14
		add(kDayMonth, mods+month+`\s+`+day+`(?:,?\s*`+year+`)?`)
	}
	// September 2020, septiembre de 2020
	add(kMonthYear, mods+month+`,?\s+`+of+year)
	// bare month names, and the ambiguous ones after a preposition
	add(kMonth, mods+`(?P<month>`+alt(lx.bare)+`)`)
	if len(lx.preMods) > 0 {
		add(kMonth, `(?P<mod>`+alt(keys(lx.preMods))+`)\s+(?P<month>`+alt(keys(lx.months))+`)`)
	}
	var preps []string
	for _, w := range lx.yearContext {
		if len(w) <= 6 {
			preps = append(preps, w)
		}
	}
	var fullMonths []string
	for k := range lx.months {
		if len(k) > 4 || k == "may" || k == "mei" || k == "mai" || k == "mars" || k == "mayo" || k == "june" || k == "july" || k == "juin" {
			fullMonths = append(fullMonths, k)
		}
	}
	add(kMonth, `(?:`+alt(preps)+`)\s+(?P<span>(?P<month>`+alt(fullMonths)+`))`)
	// years: the context is checked by the resolver
	add(kYear, `(?P<y>1[6-9]\d\d|20\d\d)`)
	if lx == lexicons["en"] {
		add(kDecade, `(?:the\s+)?(?:(?P<mmod>early|late|mid)[- ])?(?P<dec>1[6-9]\d|20\d)0'?s`)
		add(kNoon, `(?P<noon>noon|midday|midnight)`)
		add(kWeekend, `(?:the|this|last|next)\s+weekend`)
		add(kYearEarlier, `year-earlier|year-ago|(?:a|one)\s+year\s+(?:earlier|ago|before)`)
	}
	// weekdays, with modifiers and parts of the day
	wd := `(?P<wd>` + alt(keys(lx.weekdays)) + `)`
	part := ""
	if len(lx.parts) > 0 {
		part = `(?:` + strings.ReplaceAll(regexp.QuoteMeta(lx.partJoin), " ", `\s+`) + `(?P<part>` + alt(keys(lx.parts)) + `))?`
		if lx.partJoin == "" {
			part = `(?:\s*(?P<part>` + alt(keys(lx.parts)) + `))?`
		}
	}
	pre := ""
	if len(lx.preMods) > 0 {
		pre = `(?:(?P<mod>` + alt(keys(lx.preMods)) + `)\s+)?`
	}
	post := ""
	if len(lx.postMods) > 0 {
		post = `(?:\s+(?P<pmod>` + alt(keys(lx.postMods)) + `))?`
	}
	art := ""
	if len(lx.articles) > 0 {
		art = `(?:` + alt(lx.articles) + `\s*)?`
	}
	add(kWeekday, pre+wd+part+post)
	relPart := ""
	if lx.partJoin != "" {
		relPart = part
	}
	add(kRelDay, `(?P<rel>`+alt(keys(lx.relDays))+`)`+relPart)
	// last week, vorig jaar, diese Woche, la semaine dernière, el año pasado
	var periodUnits []string
	for k, v := range lx.units {
		if v != "D" && !strings.HasSuffix(k, "s") && k != "dagen" && k != "weken" && k != "maanden" && k != "jaren" &&
			k != "wochen" && k != "monaten" && k != "jahren" && k != "tagen" {
			periodUnits = append(periodUnits, k)
		}
	}
	unit := `(?P<unit>` + alt(periodUnits) + `)`
	if len(lx.preMods) > 0 {
		add(kRelUnit, `(?P<mod>`+alt(keys(lx.preMods))+`)\s+`+unit)
	}
	if len(lx.postMods) > 0 {
		add(kRelUnit, art+unit+`(?:-ci)?\s+(?P<pmod>`+alt(keys(lx.postMods))+`)`)
	}
	// two weeks ago, drie dagen geleden, vor drei Tagen, il y a deux ans, hace dos años
	num := `(?P<n>\d{1,2}|` + alt(keys(lx.numbers)) + `)`
	allUnits := `(?P<unit>` + alt(keys(lx.units)) + `)`
	if len(lx.agoAfter) > 0 {
		add(kAgo, num+`\s+`+allUnits+`\s+(?P<ago>`+alt(lx.agoAfter)+`)`)
	}
	if len(lx.agoBefore) > 0 {
		add(kAgo, `(?P<ago>`+alt(lx.agoBefore)+`)\s+`+num+`\s+`+allUnits)
	}
	// quarters
	if len(lx.ordinals) > 0 {
		q := alt(lx.quarter)
		add(kQuarter, `(?:(?:the|het|im|au|le|el|del)\s+)?(?P<ord>`+alt(keys(lx.ordinals))+`)[-\s]+`+q+`(?:\s+(?:of\s+)?`+year+`)?`)
		if lx == lexicons["en"] {
			add(kQuarterRel, `(?:the\s+)?(?P<qrel>latest|last|previous|current|same|year-earlier|year-ago)?[-\s]*(?:fiscal\s+)?quarter`)
		}
	}
	// seasons need a modifier or a year to be a date
	season := `(?P<season>` + alt(keys(lx.seasons)) + `)`
	if len(lx.preMods) > 0 {
		add(kSeason, `(?P<mod>`+alt(keys(lx.preMods))+`)\s+`+season)
	}
	if len(lx.postMods) > 0 {
		add(kSeason, art+season+`\s+(?P<pmod>`+alt(keys(lx.postMods))+`)`)
	}
	add(kSeason, season+`\s+(?:of\s+|de\s+)?`+year)
	// times of day
	if lx.ampm {
		add(kTime, `(?P<h>1[0-2]|0?[1-9])(?:[:.](?P<mi>[0-5]\d))?\s*(?P<ampm>a\.m\.|p\.m\.|am\b|pm\b)`)
	}
	suffix := ""
	if len(lx.timeSuffix) > 0 {
		suffix = `\s*(?P<suffix>` + alt(lx.timeSuffix) + `)`
		add(kTime, `(?P<h>[01]?\d|2[0-3])(?:[:.](?P<mi>[0-5]\d))?`+suffix)
	}
	if slices.Contains(lx.timeSuffix, "h") {
		add(kTime, `(?P<h>[01]?\d|2[0-3])\s?(?P<suffix>h)(?P<mi>[0-5]\d)`)
	}
	if len(lx.timePrefix) > 0 {
		add(kTime, `(?:`+alt(lx.timePrefix)+`)\s+(?P<h>[01]?\d|2[0-3])(?:[:.](?P<mi>[0-5]\d))?`)
	}
	add(kTime, timePat)
	if len(lx.now) > 0 {
		add(kNow, `(?P<now>`+alt(lx.now)+`)`)
	}
	return rs
}

var rulesByLang = func() map[string][]rule {
	m := map[string][]rule{"": buildRules(nil)}
	for code, lx := range lexicons {
		m[code] = buildRules(lx)
	}
	return m
}()

// ruleSet is one language's rules, indexed by the bytes they can start
// with: bit i of a mask stands for rule i.
type ruleSet struct {
	rules []rule
	// pair[b][c]: the rules a match can start with byte b then c, for b
	// below utf8.RuneSelf; last[b]: those that can match b alone (at the
	// end of the input); lead[b]: those that can start with the byte b of
	// a multibyte character.
	pair   [utf8.RuneSelf][256]uint64
	last   [utf8.RuneSelf]uint64
	lead   [256]uint64
	maxCap int
}

// starts returns the rules that may match at s[i].
func (rs *ruleSet) starts(s string, i int) uint64 {
	b := s[i]
	switch {
	case b >= utf8.RuneSelf:
		return rs.lead[b]
	case i+1 < len(s):
		return rs.pair[b][s[i+1]]
	}
	return rs.last[b]
}

var ruleSets = func() map[string]*ruleSet {
	out := make(map[string]*ruleSet, len(rulesByLang))
	for code, rules := range rulesByLang {
		if len(rules) > 64 {
			panic("date: more than 64 rules in " + code)
		}
		rs := &ruleSet{rules: rules}
		for i, r := range rules {
			bit := uint64(1) << i
			rs.maxCap = max(rs.maxCap, r.pat.ncap)
			for b := 0; b < 256; b++ {
				if !r.pat.first.has(byte(b)) {
					continue
				}
				if b >= utf8.RuneSelf {
					rs.lead[b] |= bit
					continue
				}
				if r.pat.short[b] {
					rs.last[b] |= bit
				}
				for c := 0; c < 256; c++ {
					if r.pat.short[b] || r.pat.second[b].has(byte(c)) {
						rs.pair[b][c] |= bit
					}
				}
			}
		}
		out[code] = rs
	}
	return out
}()
