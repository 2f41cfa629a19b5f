package date

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The regexp-driven FindMentions as it was before the rules got their own
// matcher (match.go), kept as the reference the matcher must agree with:
// the same rule expressions run by Go's regexp package, over the same
// windows, found the same way.

var referenceRegexps sync.Map // expr -> *regexp.Regexp

func referenceRegexp(expr string) *regexp.Regexp {
	if re, ok := referenceRegexps.Load(expr); ok {
		return re.(*regexp.Regexp)
	}
	re, _ := referenceRegexps.LoadOrStore(expr, regexp.MustCompile(expr))
	return re.(*regexp.Regexp)
}

func findMentionsReference(text, lang string, ref Ref) []Mention {
	lx := lexicons[lang]
	rules := rulesByLang[lang]
	if lx == nil {
		rules = rulesByLang[""]
	}
	type cand struct {
		Mention
		prio int
	}
	var cands []cand
	folded := fold(text)
	for _, win := range windowsReference(text, lang) {
		sub := folded[win[0]:win[1]]
		for prio, r := range rules {
			re := referenceRegexp(r.expr)
			names := re.SubexpNames()
			for _, loc := range re.FindAllStringSubmatchIndex(sub, -1) {
				for i := range loc {
					if loc[i] >= 0 {
						loc[i] += win[0]
					}
				}
				g := groups{text: text, names: names, loc: loc}
				start, end := loc[0], loc[1]
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

func windowsReference(text, lang string) [][2]int {
	anchors := anchorWords[lang]
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
	for i, r := range text + " " {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’' {
			if start < 0 {
				start, digit = i, false
			}
			if unicode.IsDigit(r) {
				digit = true
			}
			continue
		}
		if start >= 0 {
			if digit || isAnchorReference(anchors, strings.ToLower(text[start:i])) {
				addWin(start, i)
			}
			start = -1
		}
	}
	return out
}

func isAnchorReference(anchors map[string]bool, w string) bool {
	if anchors[w] {
		return true
	}
	for a := range anchors {
		if len(a) >= 4 && strings.HasPrefix(w, a) {
			return true
		}
	}
	return false
}
