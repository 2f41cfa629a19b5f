package sentiment

import (
	"fmt"
	"sync"
	"testing"
)

var (
	testTaggerOnce sync.Once
	testTaggerVal  *Tagger
	testTaggerErr  error
)

// testTagger loads the lexicons once for all tests.
func testTagger(t testing.TB) *Tagger {
	t.Helper()
	testTaggerOnce.Do(func() { testTaggerVal, testTaggerErr = New(Config{Sentences: true}) })
	if testTaggerErr != nil {
		t.Fatal(testTaggerErr)
	}
	return testTaggerVal
}

func scoreOf(t *testing.T, tg *Tagger, lang, text string) float64 {
	t.Helper()
	s, err := tg.ScoreText(lang, text)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// phenomena holds, per language, sentences that differ in one rule: a plain
// positive and negative statement, the same negated, intensified, hedged,
// and contrasted with "but".
type phenomena struct {
	lang string
	pos, neg,
	notPos, notNeg,
	veryPos, veryNeg,
	hedgedPos, hedgedNeg,
	posButNeg, negButPos,
	tooPos,
	reducedNeg string
}

var languageCases = []phenomena{
	{
		lang: "en",
		pos:  "The plan is good.", neg: "The plan is bad.",
		notPos: "The plan is not good.", notNeg: "The plan is not bad.",
		veryPos: "The plan is very good.", veryNeg: "The plan is very bad.",
		hedgedPos: "The plan is perhaps good.", hedgedNeg: "The plan is perhaps bad.",
		posButNeg: "The plan is good, but the outcome is terrible.", negButPos: "The plan is bad, but the outcome is excellent.",
		tooPos: "The plan is too generous.", reducedNeg: "The plan reduces poverty.",
	},
	{
		lang: "nl",
		pos:  "Het plan is goed.", neg: "Het plan is slecht.",
		notPos: "Het plan is niet goed.", notNeg: "Het plan is niet slecht.",
		veryPos: "Het plan is zeer goed.", veryNeg: "Het plan is zeer slecht.",
		hedgedPos: "Het plan is misschien goed.", hedgedNeg: "Het plan is misschien slecht.",
		posButNeg: "Het plan is goed, maar de uitvoering is verschrikkelijk.", negButPos: "Het plan is slecht, maar de uitvoering is uitstekend.",
		tooPos: "Het plan is te gul.", reducedNeg: "Het plan vermindert de armoede.",
	},
	{
		lang: "de",
		pos:  "Der Plan ist gut.", neg: "Der Plan ist schlecht.",
		notPos: "Der Plan ist nicht gut.", notNeg: "Der Plan ist nicht schlecht.",
		veryPos: "Der Plan ist sehr gut.", veryNeg: "Der Plan ist sehr schlecht.",
		hedgedPos: "Der Plan ist vielleicht gut.", hedgedNeg: "Der Plan ist vielleicht schlecht.",
		posButNeg: "Der Plan ist gut, aber die Umsetzung ist schrecklich.", negButPos: "Der Plan ist schlecht, aber die Umsetzung ist hervorragend.",
		tooPos: "Der Plan ist zu großzügig.", reducedNeg: "Der Plan verringert die Armut.",
	},
	{
		lang: "fr",
		pos:  "Le projet est bon.", neg: "Le projet est mauvais.",
		notPos: "Le projet n'est pas bon.", notNeg: "Le projet n'est pas mauvais.",
		veryPos: "Le projet est très bon.", veryNeg: "Le projet est très mauvais.",
		hedgedPos: "Le projet est peut-être bon.", hedgedNeg: "Le projet est peut-être mauvais.",
		posButNeg: "Le projet est bon, mais la mise en œuvre est terrible.", negButPos: "Le projet est mauvais, mais la mise en œuvre est excellente.",
		tooPos: "Le projet est trop généreux.", reducedNeg: "Le projet réduit la pauvreté.",
	},
	{
		lang: "es",
		pos:  "El plan es bueno.", neg: "El plan es malo.",
		notPos: "El plan no es bueno.", notNeg: "El plan no es malo.",
		veryPos: "El plan es muy bueno.", veryNeg: "El plan es muy malo.",
		hedgedPos: "El plan quizás es bueno.", hedgedNeg: "El plan quizás es malo.",
		posButNeg: "El plan es bueno, pero el resultado es terrible.", negButPos: "El plan es malo, pero el resultado es excelente.",
		tooPos: "El plan es demasiado generoso.", reducedNeg: "El plan reduce la pobreza.",
	},
}

func TestRulesPerLanguage(t *testing.T) {
	tg := testTagger(t)
	for _, c := range languageCases {
		t.Run(c.lang, func(t *testing.T) {
			s := func(text string) float64 { return scoreOf(t, tg, c.lang, text) }
			pos, neg := s(c.pos), s(c.neg)
			checks := []struct {
				name string
				ok   bool
				got  string
			}{
				{"positive is positive", pos > 0.1, c.pos},
				{"negative is negative", neg < -0.1, c.neg},
				{"negation turns positive negative", s(c.notPos) < 0, c.notPos},
				{"negated negative is milder than negative", s(c.notNeg) > neg, c.notNeg},
				{"negated negative is not negative", s(c.notNeg) >= 0, c.notNeg},
				{"intensifier strengthens positive", s(c.veryPos) > pos, c.veryPos},
				{"intensifier strengthens negative", s(c.veryNeg) < neg, c.veryNeg},
				{"hedge weakens positive", s(c.hedgedPos) < pos && s(c.hedgedPos) > 0, c.hedgedPos},
				{"hedge weakens negative", s(c.hedgedNeg) > neg && s(c.hedgedNeg) < 0, c.hedgedNeg},
				{"what follows but counts most (good but terrible)", s(c.posButNeg) < 0, c.posButNeg},
				{"what follows but counts most (bad but excellent)", s(c.negButPos) > 0, c.negButPos},
				{"too makes a virtue excessive", s(c.tooPos) <= 0, c.tooPos},
				{"reducing a harm is good news", s(c.reducedNeg) > 0, c.reducedNeg},
			}
			for _, ch := range checks {
				if !ch.ok {
					t.Errorf("%s: %q scored %.3f (positive %.3f, negative %.3f)", ch.name, ch.got, s(ch.got), pos, neg)
				}
			}
		})
	}
}

func TestRulesEnglishDetails(t *testing.T) {
	tg := testTagger(t)
	tests := []struct {
		name        string
		lower, high string // lower must score below high
	}{
		{"not only ... but also is no negation", "The plan is bad.", "The plan is not only cheap but also effective."},
		{"although lowers the conceded clause", "Although the plan is excellent, the results are poor.", "The plan is excellent and the results are poor."},
		{"exclamation amplifies praise", "What a wonderful result.", "What a wonderful result!"},
		{"capitals amplify", "This is a good result.", "This is a GOOD result."},
		{"slightly dampens", "The results are slightly better.", "The results are better."},
		{"scare quotes weaken a word", "The 'improvements' are real.", "The improvements are real."},
		{"fewer deaths is good", "There were deaths.", "There were fewer deaths."},
		{"no longer negates", "The city is dangerous.", "The city is no longer dangerous."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := scoreOf(t, tg, "en", tt.lower), scoreOf(t, tg, "en", tt.high)
			if !(lo < hi) {
				t.Errorf("%q = %.3f, want below %q = %.3f", tt.lower, lo, tt.high, hi)
			}
		})
	}
}

func TestRulesGermanicClauseFinalNegation(t *testing.T) {
	tg := testTagger(t)
	tests := []struct{ lang, plain, negated string }{
		{"de", "Das hilft.", "Das hilft nicht."},
		{"nl", "Dat helpt.", "Dat helpt niet."},
		{"fr", "Cela aide.", "Cela n'aide pas."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			p, n := scoreOf(t, tg, tt.lang, tt.plain), scoreOf(t, tg, tt.lang, tt.negated)
			if !(p > 0 && n < 0) {
				t.Errorf("%q = %.3f, %q = %.3f: want positive, then negative", tt.plain, p, tt.negated, n)
			}
		})
	}
}

func TestRulesVerbFinalReverser(t *testing.T) {
	tg := testTagger(t)
	tests := []struct{ lang, harm, reduced string }{
		{"nl", "Er zijn fouten gemaakt.", "We moeten fouten voorkomen."},
		{"de", "Die Armut wächst.", "Wir wollen die Armut verringern."},
	}
	for _, tt := range tests {
		h, r := scoreOf(t, tg, tt.lang, tt.harm), scoreOf(t, tg, tt.lang, tt.reduced)
		if !(h < 0 && r > h) {
			t.Errorf("%s: %q = %.3f, %q = %.3f; want the verb at the end to turn the harm around", tt.lang, tt.harm, h, tt.reduced, r)
		}
	}
}

func TestRulesToVersusToo(t *testing.T) {
	tg := testTagger(t)
	// Dutch "te" and German "zu" before an infinitive mean "to", not "too".
	tests := []struct{ lang, text string }{
		{"nl", "Het is belangrijk om de armen te helpen."},
		{"de", "Es ist wichtig, den Armen zu helfen."},
	}
	for _, tt := range tests {
		if s := scoreOf(t, tg, tt.lang, tt.text); s <= 0 {
			t.Errorf("%s %q = %.3f, want positive", tt.lang, tt.text, s)
		}
	}
}

func TestCompoundHeads(t *testing.T) {
	tg := testTagger(t)
	tests := []struct {
		lang, text string
		negative   bool
	}{
		{"de", "Die Wirtschaftskrise dauert an.", true},
		{"de", "Die Wirtschaftskrisen dauern an.", true},
		{"nl", "De kredietcrisis duurt voort.", true},
		// A common ending is no head: "gisteren" is not "eren".
		{"nl", "Gisteren kwamen de kinderen thuis.", false},
	}
	for _, tt := range tests {
		s := scoreOf(t, tg, tt.lang, tt.text)
		if tt.negative && s >= 0 || !tt.negative && s != 0 {
			t.Errorf("%s %q = %.3f, want negative=%v (neutral otherwise)", tt.lang, tt.text, s, tt.negative)
		}
	}
}

// TestDerivedMemo checks that remembering derived valences changes no
// score, and that the memo stays bounded.
func TestDerivedMemo(t *testing.T) {
	tg := testTagger(t)
	words := map[string][]string{
		"en": {"disastrously", "well-deserved", "cheerfulness", "unhappily", "tables", "2024"},
		"de": {"wirtschaftskrisen", "katastrophalen", "friedensverhandlungen", "hausbau"},
		"nl": {"rampzalige", "vredesbesprekingen"},
	}
	sc := newScratch()
	nonzero := 0
	for lang, ws := range words {
		l := tg.langs[lang]
		for round := range 2 { // the second round reads the memo
			for _, w := range ws {
				want := newScratch().lookup(l, []byte(w))
				if want != 0 {
					nonzero++
				}
				if got := sc.lookup(l, []byte(w)); got != want {
					t.Errorf("%s %q round %d: %v, want %v", lang, w, round, got, want)
				}
			}
		}
	}
	if nonzero == 0 {
		t.Fatal("no word derived a valence; the test reads nothing")
	}
	l := tg.langs["en"]
	for i := range 3 * maxDerived {
		sc.lookup(l, fmt.Appendf(nil, "unknownword%d", i))
	}
	if n := len(sc.derived[l]); n > maxDerived {
		t.Errorf("memo holds %d words, limit %d", n, maxDerived)
	}
}
