package sentiment

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

func tag(t *testing.T, tg *Tagger, lang string, conf float64, title, body string) *article.Sentiment {
	t.Helper()
	a := &article.Raw{Title: title, Body: body}
	e := &article.Enrichment{Language: &article.Language{Code: lang, Confidence: conf}}
	if err := tg.Tag(a, e); err != nil {
		t.Fatal(err)
	}
	return e.Sentiment
}

func TestTagFields(t *testing.T) {
	tg := testTagger(t)
	body := "The floods destroyed hundreds of homes and killed twelve people.\n\nRescue workers praised the generous help of volunteers."
	s := tag(t, tg, "en", 0.99, "Deadly floods ravage the valley", body)
	if s == nil {
		t.Fatal("no sentiment")
	}
	if s.Score < -1 || s.Score > 1 || s.Confidence <= 0 || s.Confidence > 1 {
		t.Errorf("score %v confidence %v out of range", s.Score, s.Confidence)
	}
	if s.Label != article.Negative {
		t.Errorf("label = %s (score %v), want negative", s.Label, s.Score)
	}
	if len(s.Sentences) != 3 {
		t.Fatalf("sentences = %+v, want 3", s.Sentences)
	}
	for _, ss := range s.Sentences {
		text := body
		if ss.Field == "title" {
			text = "Deadly floods ravage the valley"
		}
		if ss.Start < 0 || ss.End > len(text) || ss.Start >= ss.End {
			t.Errorf("sentence %+v outside its field", ss)
		}
	}
	if last := s.Sentences[2]; last.Score <= 0 {
		t.Errorf("praise sentence scored %v, want positive", last.Score)
	}
}

func TestTitleCounts(t *testing.T) {
	tg := testTagger(t)
	body := "The council met on Tuesday. The budget was approved after a long debate. Residents welcomed the new park."
	plain := tag(t, tg, "en", 1, "", body)
	bad := tag(t, tg, "en", 1, "Council betrays residents in budget scandal", body)
	if !(bad.Score < plain.Score) {
		t.Errorf("negative title: %v, without title: %v; want lower", bad.Score, plain.Score)
	}
}

func TestSubheadingsAndQuotesCountLess(t *testing.T) {
	tg := testTagger(t)
	base := "The report was published on Monday. It describes the work of the agency."
	asBody := tag(t, tg, "en", 1, "", base+" The disaster was terrible.")
	asHeading := tag(t, tg, "en", 1, "", base+"\n\nThe terrible disaster")
	if !(asHeading.Score > asBody.Score) {
		t.Errorf("negative subheading %v, same words as a body sentence %v; want the subheading to weigh less", asHeading.Score, asBody.Score)
	}
	quoted := tag(t, tg, "en", 1, "", base+" “The disaster was terrible.”")
	if !(quoted.Score > asBody.Score) {
		t.Errorf("quoted %v, own words %v; want the quotation to weigh less", quoted.Score, asBody.Score)
	}
	if quoted.Score >= 0 {
		t.Errorf("quoted negative sentence gave %v, want it still negative", quoted.Score)
	}
}

func TestNeutralText(t *testing.T) {
	tg := testTagger(t)
	s := tag(t, tg, "en", 1, "", "The meeting starts at nine. The agenda has four items.")
	if s.Score != 0 || s.Label != article.Neutral || s.Sentences != nil {
		t.Errorf("neutral text gave %+v", s)
	}
}

func TestUnsupportedLanguage(t *testing.T) {
	tg, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	a := &article.Raw{Body: "Hallitus esitteli talousarvion tiistaina. Oppositio arvosteli esitystä jyrkästi."}
	e := &article.Enrichment{Language: &article.Language{Code: "fi", Confidence: 0.98}}
	if err := tg.Tag(a, e); err != nil {
		t.Fatal(err)
	}
	if e.Sentiment != nil {
		t.Errorf("Finnish got sentiment %+v, want none", e.Sentiment)
	}
	if got := tg.Stats().Skipped[ReasonUnsupported]; got != 1 {
		t.Errorf("unsupported count = %d, want 1", got)
	}
	// No language tag at all counts the same way.
	e = &article.Enrichment{}
	if err := tg.Tag(a, e); err != nil {
		t.Fatal(err)
	}
	if e.Sentiment != nil || tg.Stats().Skipped[ReasonUnsupported] != 2 {
		t.Errorf("untagged language: sentiment %+v, stats %+v", e.Sentiment, tg.Stats())
	}
}

func TestMisdetectedLanguageFallsBackWithLowConfidence(t *testing.T) {
	tg, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	// A Spanish sentence a detector might call Portuguese or Catalan.
	a := &article.Raw{Body: "La guerra ha sido un desastre terrible para el país y para los que huyen."}
	e := &article.Enrichment{Language: &article.Language{Code: "pt", Confidence: 0.4}}
	if err := tg.Tag(a, e); err != nil {
		t.Fatal(err)
	}
	if e.Sentiment == nil {
		t.Fatal("no sentiment for Spanish text labelled pt")
	}
	if e.Sentiment.Score >= 0 || e.Sentiment.Confidence > 0.3 {
		t.Errorf("fallback gave %+v, want a negative score with confidence <= 0.3", e.Sentiment)
	}
	if tg.Stats().Fallback != 1 {
		t.Errorf("stats %+v, want one fallback", tg.Stats())
	}
}

func TestConfidence(t *testing.T) {
	tg := testTagger(t)
	strong := tag(t, tg, "en", 1, "", "The massacre was a horrific, brutal crime. The killings were a disgrace and a tragedy.")
	weak := tag(t, tg, "en", 1, "", "The plan has some problems.")
	if !(strong.Confidence > weak.Confidence) {
		t.Errorf("strong evidence %v, weak %v; want more confidence with more evidence", strong.Confidence, weak.Confidence)
	}
	shaky := tag(t, tg, "en", 0.3, "", "The massacre was a horrific, brutal crime. The killings were a disgrace and a tragedy.")
	if !(shaky.Confidence < strong.Confidence) {
		t.Errorf("uncertain language %v, certain %v; want less confidence", shaky.Confidence, strong.Confidence)
	}
}

func TestSentencesOptional(t *testing.T) {
	tg, err := New(Config{Sentences: false})
	if err != nil {
		t.Fatal(err)
	}
	s := tag(t, tg, "en", 1, "", "A terrible day.")
	if s.Sentences != nil {
		t.Errorf("sentences kept with Sentences false: %+v", s.Sentences)
	}
}

func TestConceptsFile(t *testing.T) {
	cs, err := Concepts()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 500 {
		t.Errorf("only %d concepts", len(cs))
	}
	keys := map[string]int{}
	for _, c := range cs {
		if prev, ok := keys[c.Key]; ok {
			t.Errorf("concept key %q on lines %d and %d", c.Key, prev, c.Line)
		}
		keys[c.Key] = c.Line
		for i, ws := range c.Words {
			for _, w := range ws {
				if n := len(strings.FieldsFunc(w, func(r rune) bool { return r == '_' || r == ' ' })); n > 3 {
					t.Errorf("line %d (%s): %q has %d words, phrases have at most 3", c.Line, Languages[i], w, n)
				}
			}
		}
	}
	p, err := LoadParams()
	if err != nil {
		t.Fatal(err)
	}
	for k := range p.ConceptDelta {
		if _, ok := keys[k]; !ok && !strings.HasPrefix(k, "en:") {
			t.Errorf("tuned.tsv adjusts %q, which is no concept: retrain (make train-sentiment)", k)
		}
	}
}

func TestParseParams(t *testing.T) {
	p, err := ParseParams("# comment\nparam\talpha\t12\nconcept\tcrisis\t-0.5\n")
	if err != nil {
		t.Fatal(err)
	}
	if p.Alpha != 12 || p.ConceptDelta["crisis"] != -0.5 || p.NegatePos != DefaultParams().NegatePos {
		t.Errorf("parsed %+v", p)
	}
	for _, bad := range []string{"param\tnope\t1\n", "param\talpha\n", "what\tx\t1\n", "param\talpha\tx\n"} {
		if _, err := ParseParams(bad); err == nil {
			t.Errorf("ParseParams(%q) accepted", bad)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	tg := testTagger(t)
	want := tag(t, tg, "nl", 1, "", "De ramp was verschrikkelijk. Gelukkig kwam er snel hulp.")
	done := make(chan *article.Sentiment)
	for range 8 {
		go func() {
			a := &article.Raw{Body: "De ramp was verschrikkelijk. Gelukkig kwam er snel hulp."}
			e := &article.Enrichment{Language: &article.Language{Code: "nl", Confidence: 1}}
			_ = tg.Tag(a, e)
			done <- e.Sentiment
		}()
	}
	for range 8 {
		if got := <-done; math.Abs(got.Score-want.Score) > 0 {
			t.Errorf("concurrent score %v, want %v", got.Score, want.Score)
		}
	}
}

func ExampleTagger_Tag() {
	tg, err := New(Config{})
	if err != nil {
		panic(err)
	}
	a := &article.Raw{
		Title: "Storm leaves trail of destruction",
		Body:  "The storm destroyed dozens of houses. Neighbours helped each other, but many families lost everything.",
	}
	e := &article.Enrichment{Language: &article.Language{Code: "en", Confidence: 0.99}}
	if err := tg.Tag(a, e); err != nil {
		panic(err)
	}
	fmt.Println(e.Sentiment.Label, e.Sentiment.Score < 0)
	// Output: negative true
}
