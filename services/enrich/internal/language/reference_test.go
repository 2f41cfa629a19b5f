package language

import (
	"math"
	"slices"
	"strings"
)

// The detector's functions as they were before they were made faster, kept
// as the references the fast ones must agree with.

// filter narrows the configured languages to those of the text's main script
// and, when at least half the words carry letters few languages use, to those.
func (d *Detector) filterReference(ws []word) []int {
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
	langCounts := make(map[int]int)
	for _, g := range d.shared {
		for _, w := range ws {
			for _, r := range g.letters {
				if strings.ContainsRune(w.s, r) {
					for _, li := range g.langs {
						if slices.Contains(inScript, li) {
							langCounts[li]++
						}
					}
				}
			}
		}
	}
	var subset []int
	for li, n := range langCounts {
		if float64(n) >= float64(len(ws))*0.5 {
			subset = append(subset, li)
		}
	}
	if len(subset) > 0 {
		slices.Sort(subset)
		return subset
	}
	return inScript
}

// detectLong scores long text with trigrams, in chunks, and checks that one
// language wins most of it.
func (d *Detector) detectLongReference(ws []word, cands []int, res Result) Result {
	chunks := chunkWords(ws)
	totals := make(map[int]float64, len(cands))
	wins := make(map[int]int)
	trigrams := 0.0
	scoredLetters := 0
	for _, c := range chunks {
		g := newGrams(c, []int{3}, true)
		chunkTrigrams := 0.0
		for _, p := range g.distinct[3] {
			chunkTrigrams += g.w[p]
		}
		trigrams += chunkTrigrams
		letters := 0
		for _, w := range c {
			letters += w.runes
		}
		var chunkScores []float64
		bestLi, bestS := -1, math.Inf(-1)
		for _, li := range cands {
			s, w := g.sum(li, 3)
			if w == 0 {
				s = math.Inf(-1)
			}
			totals[li] += s
			chunkScores = append(chunkScores, s)
			if s > bestS {
				bestLi, bestS = li, s
			}
		}
		slices.Sort(chunkScores)
		second := math.Inf(-1)
		if len(chunkScores) > 1 {
			second = chunkScores[len(chunkScores)-2]
		}
		if bestLi >= 0 && (math.IsInf(second, -1) || leads(bestS, second, chunkTrigrams)) {
			wins[bestLi] += letters
			scoredLetters += letters
		}
	}
	var all []scored
	for li, s := range totals {
		if !math.IsInf(s, -1) {
			all = append(all, scored{li, s})
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
	if share := float64(wins[all[0].li]) / float64(scoredLetters); scoredLetters > 0 && share < mixedShare {
		res.Code, res.Reason = undetermined, "mixed"
		res.Confidence = 1 - share
	}
	return res
}

// leads says whether a piece's best score leads the second by
// decidedMargin per trigram.
func leads(first, second, trigrams float64) bool {
	return trigrams > 0 && (first-second)/trigrams >= decidedMargin
}

// byRules tells the language from letters alone when most words carry a
// script or letter only one configured language uses.
func (d *Detector) byRulesReference(ws []word) (int, bool) {
	const unknown = -1
	zh := d.codeIndex("zh")
	ja := d.codeIndex("ja")
	total := make(map[int]int)
	wordCounts := make(map[int]int)
	for _, w := range ws {
		clear(wordCounts)
		for _, r := range w.s {
			sc := runeScript(r)
			switch {
			case sc == scriptHan && zh >= 0:
				wordCounts[zh]++
			case sc == scriptHan && ja >= 0, sc == scriptKana && ja >= 0:
				wordCounts[ja]++
			case sc != scriptOther && len(d.byScript[sc]) == 1:
				wordCounts[d.byScript[sc][0]]++
			default:
				for _, li := range d.unique[r] {
					wordCounts[li]++
				}
			}
		}
		switch len(wordCounts) {
		case 0:
			total[unknown]++
		case 1:
			for li := range wordCounts {
				total[li]++
			}
		default:
			if _, hasZh := wordCounts[zh]; hasZh && ja >= 0 && wordCounts[ja] > 0 {
				total[ja]++
				continue
			}
			best, bestN, secondN := top2(wordCounts)
			if bestN > secondN {
				total[best]++
			} else {
				total[unknown]++
			}
		}
	}
	if float64(total[unknown]) < float64(len(ws))*0.5 {
		delete(total, unknown)
	}
	switch len(total) {
	case 0:
		return 0, false
	case 1:
		for li := range total {
			return li, li != unknown
		}
	case 2:
		if zh >= 0 && ja >= 0 && total[zh] > 0 && total[ja] > 0 {
			return ja, true
		}
	}
	best, bestN, secondN := top2(total)
	if bestN == secondN || best == unknown {
		return 0, false
	}
	return best, true
}
