package language

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// malteseRegexp is the expression hasMalteseMarks implements.
var malteseRegexp = regexp.MustCompile(`(?i)[ħġċż]|għ|(?:^|[^\pL])(?:il|l|tal|fil|mil|mill|bil|għall|lill|sal|tas|tat|taż|tad|tar|tan|tax|fis|fit|fid|fix|fir|fl|is|it|id|ix|iż|in|ir|ta)-\pL|\bta'`)

func TestMalteseMarksAgreeWithRegexp(t *testing.T) {
	pieces := append(append([]string{}, malteseArticles...), "IL", "Tal", "ĦALL", "GĦALL", "ſal", "taſ", "x", "é", "1", "_", "-", "--", "'", "’",
		" ", "\n", "ta", "TA", "Ta", "gvern", "ħ", "Ż", "\u0345", "\xff", "\xe2\x82", "ab", "ilx", "a-b", "il-", "-a")
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200000 {
		var b strings.Builder
		for n := 1 + rng.IntN(6); n > 0; n-- {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		if got, want := hasMalteseMarks(s), malteseRegexp.MatchString(s); got != want {
			t.Fatalf("hasMalteseMarks(%q) = %v, the regexp says %v", s, got, want)
		}
	}
}

func FuzzMalteseMarks(f *testing.F) {
	for _, s := range []string{"il-gvern", "tal-pulizija", "ta' Malta", "data'", "fis-sena", "Il-Prim Ministru", "xil-a", "il-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasMalteseMarks(s), malteseRegexp.MatchString(s); got != want {
			t.Fatalf("hasMalteseMarks(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
