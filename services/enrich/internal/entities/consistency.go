package entities

import (
	"cmp"
	"iter"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// propagateMin is the confidence a mention needs before its name is looked
// for elsewhere in the article.
const propagateMin = 0.8

// consistent makes an article's entities agree with each other, as a
// reader would: one name gets one type in an article (the type with the
// largest summed confidence), the surname of a person named in full is
// that person, a company named in full with its suffix ("Cos Inc") is
// that company without it, and a name tagged confidently somewhere is tagged where else
// it occurs as a whole word outside other entities (typically
// sentence-initial or in an all-caps title), or, for a name of several
// words, where a line in capitals writes it (inCapitals). A date is not a name: nothing
// inside the spans of dates is kept or tagged ("Theresa May said in May",
// "on 12 May").
func consistent(ents []article.Entity, title, body string, dates []article.Span) []article.Entity {
	ents = slices.DeleteFunc(ents, func(e article.Entity) bool { return insideAny(dates, e.Field, e.Start, e.End) })
	if len(ents) == 0 {
		return ents
	}
	type vote struct {
		sum  [numTypes]float64
		best float64
	}
	// A dateline's place keeps its own type and gives none to others:
	// "NEW YORK 1996-12-06" is the city even where the article's results
	// call a team "NEW YORK" (and the team stays the team).
	fixed := make([]bool, len(ents))
	for i, e := range ents {
		text := body
		if e.Field == "title" {
			text = title
		}
		fixed[i] = datelinePlace(text, e)
	}
	votes := map[string]*vote{}
	for i, e := range ents {
		if fixed[i] {
			continue
		}
		v := votes[e.Text]
		if v == nil {
			v = &vote{}
			votes[e.Text] = v
		}
		v.sum[typeIndex(e.Type)] += e.Confidence
		v.best = max(v.best, e.Confidence)
	}
	winner := func(v *vote) int {
		best := 0
		for t := range numTypes {
			if v.sum[t] > v.sum[best] {
				best = t
			}
		}
		return best
	}
	// A person named in full is then called by surname: the last word of
	// a confident multi-word PER name is that person wherever it stands
	// alone ("Tim Cook ... Cook said").
	surnames := map[string]float64{}
	for name, v := range votes {
		i := strings.LastIndexByte(name, ' ')
		if i < 0 || v.best < propagateMin || winner(v) != typePER {
			continue
		}
		last := name[i+1:]
		if r, _ := utf8.DecodeRuneInString(last); unicode.IsUpper(r) && utf8.RuneCountInString(last) > 1 {
			surnames[last] = max(surnames[last], v.best)
		}
	}
	// impose gives each name typ, with the confidence of the full name.
	impose := func(names map[string]float64, typ int) {
		for name, conf := range names {
			v := votes[name]
			if v == nil {
				v = &vote{}
				votes[name] = v
			}
			v.sum = [numTypes]float64{}
			v.sum[typ] = conf
			v.best = max(v.best, conf)
		}
	}
	impose(surnames, typePER)
	// A company named in full is then called without its suffix ("Philip
	// Morris Cos Inc ... Philip Morris said"), which alone looks like a
	// person's name.
	shortNames := map[string]float64{}
	for name, v := range votes {
		if v.best < propagateMin || winner(v) != typeORG {
			continue
		}
		short := name
		for {
			i := strings.LastIndexByte(short, ' ')
			if i < 0 || !corporateSuffix(short[i+1:]) {
				break
			}
			short = short[:i]
		}
		if short != name {
			shortNames[short] = max(shortNames[short], v.best)
		}
	}
	impose(shortNames, typeORG)
	for i := range ents {
		if !fixed[i] {
			ents[i].Type = Types[winner(votes[ents[i].Text])]
		}
	}
	names := make([]string, 0, len(votes))
	for name, v := range votes {
		r, _ := utf8.DecodeRuneInString(name)
		if v.best >= propagateMin && unicode.IsUpper(r) {
			names = append(names, name)
		}
	}
	// Longer names first, so "Verenigde Staten" claims its words before "Staten".
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	added := false
	for _, name := range names {
		v := votes[name]
		typ := Types[winner(v)]
		for o := range wholeWords(name, title, body, dates) {
			if overlaps(ents, o.field, o.start, o.end) {
				continue
			}
			ents = append(ents, article.Entity{
				Span:       article.Span{Field: o.field, Start: o.start, End: o.end, Text: name},
				Type:       typ,
				Confidence: roundConf(v.best * 0.9),
			})
			added = true
		}
	}
	for _, name := range names {
		v := votes[name]
		var changed bool
		ents, changed = inCapitals(ents, name, Types[winner(v)], roundConf(v.best*0.9), title, body, dates)
		added = added || changed
	}
	if added {
		slices.SortStableFunc(ents, func(a, b article.Entity) int {
			if a.Field != b.Field {
				return cmp.Compare(fieldOrder(a.Field), fieldOrder(b.Field))
			}
			return cmp.Compare(a.Start, b.Start)
		})
	}
	return ents
}

// inCapitals tags a name of several words where a line in capitals writes
// it ("BERLIN GRAND PRIX" above "Berlin Grand Prix ...", which gave
// "BERLIN" LOC and "GRAND PRIX" MISC), in place of the mentions inside it.
// A mention that reaches beyond it stays, and the name is not tagged there.
func inCapitals(ents []article.Entity, name, typ string, conf float64, title, body string, dates []article.Span) ([]article.Entity, bool) {
	up := strings.ToUpper(name)
	if up == name || !strings.Contains(name, " ") {
		return ents, false
	}
	changed := false
	for o := range wholeWords(up, title, body, dates) {
		if slices.ContainsFunc(ents, func(e article.Entity) bool {
			return e.Field == o.field && e.Start < o.end && o.start < e.End &&
				(e.Start < o.start || e.End > o.end || e.Start == o.start && e.End == o.end && e.Type == typ)
		}) {
			continue // cut across, or tagged so already
		}
		ents = slices.DeleteFunc(ents, func(e article.Entity) bool {
			return e.Field == o.field && e.Start >= o.start && e.End <= o.end
		})
		ents = append(ents, article.Entity{
			Span:       article.Span{Field: o.field, Start: o.start, End: o.end, Text: up},
			Type:       typ,
			Confidence: conf,
		})
		changed = true
	}
	return ents, changed
}

// occurrence is where a name stands in a field.
type occurrence struct {
	field      string
	start, end int
}

// wholeWords yields where name stands as a whole word in the title, then
// in the body, outside the spans of dates.
func wholeWords(name, title, body string, dates []article.Span) iter.Seq[occurrence] {
	return func(yield func(occurrence) bool) {
		for _, f := range [...]struct{ field, text string }{{"title", title}, {"body", body}} {
			for off := 0; ; {
				k := strings.Index(f.text[off:], name)
				if k < 0 {
					break
				}
				start := off + k
				end := start + len(name)
				off = end
				if wordBoundary(f.text, start, end) && !insideAny(dates, f.field, start, end) &&
					!yield(occurrence{f.field, start, end}) {
					return
				}
			}
		}
	}
}

// datelinePlace says whether e is the place a dateline starts with, at the
// start of its line ("BRUSSELS 1996-08-22", "WASHINGTON ( Reuters ) -").
func datelinePlace(text string, e article.Entity) bool {
	if e.Start > 0 && text[e.Start-1] != '\n' {
		return false
	}
	line := text[e.Start:]
	if k := strings.IndexByte(line, '\n'); k >= 0 {
		line = line[:k]
	}
	end, _, _ := dateline(strings.Fields(line))
	return end > 0 && len(strings.Fields(e.Text)) <= end
}

func fieldOrder(f string) int {
	if f == "title" {
		return 0
	}
	return 1
}

func typeIndex(t string) int {
	for i, x := range Types {
		if x == t {
			return i
		}
	}
	return numTypes - 1
}

func roundConf(c float64) float64 { return float64(int(c*1000+0.5)) / 1000 }

// wordBoundary says whether text[start:end] is not part of a longer word.
func wordBoundary(text string, start, end int) bool {
	if start > 0 {
		r, _ := utf8.DecodeLastRuneInString(text[:start])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' {
			return false
		}
	}
	if end < len(text) {
		r, _ := utf8.DecodeRuneInString(text[end:])
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' {
			return false
		}
	}
	return true
}

func overlaps(ents []article.Entity, field string, start, end int) bool {
	for _, e := range ents {
		if e.Field == field && e.Start < end && start < e.End {
			return true
		}
	}
	return false
}

// insideAny reports whether field[start:end] lies within one of spans.
func insideAny(spans []article.Span, field string, start, end int) bool {
	for _, s := range spans {
		if s.Field == field && s.Start <= start && end <= s.End {
			return true
		}
	}
	return false
}
