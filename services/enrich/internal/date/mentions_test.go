package date

import (
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

func ref(t *testing.T, s string) Ref {
	t.Helper()
	v, p, err := article.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return published(v, p, SourceHeader).ref()
}

func (p Published) ref() Ref { return Ref{T: p.T, Precision: p.Precision} }

func TestFindMentions(t *testing.T) {
	tests := []struct {
		name, lang, ref, text string
		want                  map[string]string // mention text -> value
	}{
		{"dutch day month from month reference", "nl", "2020-09", "de presidentsverkiezingen van 9 augustus", map[string]string{"9 augustus": "2020-08-09"}},
		{"dutch weekday with month reference gets no day", "nl", "2020-09", "Poetin, maandag.", map[string]string{"maandag": "2020-09"}},
		{"dutch weekday with day reference", "nl", "2020-09-16", "Poetin, maandag.", map[string]string{"maandag": "2020-09-14"}},
		{"dutch relative", "nl", "2020-09-16", "Gisteren en vorige week, morgen om 10.00 uur.", map[string]string{"Gisteren": "2020-09-15", "vorige week": "2020-W37", "morgen": "2020-09-17", "10.00 uur": "2020-09-16T10:00"}},
		{"english absolute", "en", "2020-09-16", "On 14 September 2020 and on September 14, 2020.", map[string]string{"14 September 2020": "2020-09-14", "September 14, 2020": "2020-09-14"}},
		{"english relative", "en", "2020-09-16", "Yesterday, last week and in March, two weeks ago.", map[string]string{"Yesterday": "2020-09-15", "last week": "2020-W37", "March": "2020-03", "two weeks ago": "2020-W36"}},
		{"english future weekday", "en", "2020-09-16", "The minister will speak on Friday.", map[string]string{"Friday": "2020-09-18"}},
		{"english past weekday", "en", "2020-09-16", "The minister spoke on Friday.", map[string]string{"Friday": "2020-09-11"}},
		{"english times", "en", "2020-09-16", "at 3 p.m. and at 15:30", map[string]string{"3 p.m.": "2020-09-16T15:00", "15:30": "2020-09-16T15:30"}},
		{"english quarter and anaphor", "en", "1989-10-26", "Profit rose in the third quarter. A year earlier it fell.", map[string]string{"the third quarter": "1989-Q3", "A year earlier": "1988-Q3"}},
		{"modal may is no month", "en", "2020-09-16", "Prices may rise, as in May.", map[string]string{"May": "2020-05"}},
		{"numeric dates", "", "2020-09-16", "Filed 14/09/2020, published 2020-09-15.", map[string]string{"14/09/2020": "2020-09-14", "2020-09-15": "2020-09-15"}},
		{"german", "de", "2020-09-16", "Am 14. September 2020, vor drei Tagen, um 15 Uhr.", map[string]string{"14. September 2020": "2020-09-14", "vor drei Tagen": "2020-09-13", "15 Uhr": "2020-09-16T15:00"}},
		{"french", "fr", "2020-09-16", "Le 1er mai, la semaine dernière, à 15h30.", map[string]string{"1er mai": "2020-05-01", "la semaine dernière": "2020-W37", "15h30": "2020-09-16T15:30"}},
		{"spanish", "es", "2020-09-16", "El 14 de septiembre de 2020, hace dos días, el año pasado.", map[string]string{"14 de septiembre de 2020": "2020-09-14", "hace dos días": "2020-09-14", "el año pasado": "2019"}},
		{"relative year with year reference", "en", "2020", "Last month and last year.", map[string]string{"Last month": "2020", "last year": "2019"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, m := range FindMentions(tt.text, tt.lang, ref(t, tt.ref)) {
				got[m.Text] = m.Value
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%q: want %s, got %q (all: %v)", k, v, got[k], got)
				}
			}
			for k := range got {
				if _, ok := tt.want[k]; !ok {
					t.Errorf("unexpected mention %q=%s", k, got[k])
				}
			}
		})
	}
}

func TestNumbersAreNotDates(t *testing.T) {
	tests := []struct{ lang, text string }{
		{"nl", "Een lening van anderhalf miljard dollar, 1,5 miljard."},
		{"nl", "De wedstrijd eindigde in 3-2."},
		{"en", "More than 2,000 people and 2000 police officers came; the score was 3-2."},
		{"de", "Das Spiel endete 3:2 vor 2.000 Zuschauern, Kosten 1,5 Milliarden."},
		{"fr", "Le match s'est terminé 3-2, 1,5 milliard d'euros, 2 000 personnes."},
		{"es", "El partido terminó 3-2 ante 2.000 personas y costó 1,5 millones."},
		{"en", "The shares rose 19.95 to 2010.50, a 1998.5 point gain."},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if ms := FindMentions(tt.text, tt.lang, ref(t, "2020-09-16")); len(ms) != 0 {
				t.Errorf("found %v", ms)
			}
		})
	}
}

func TestNoReferenceResolvesOnlyAbsoluteDates(t *testing.T) {
	ms := FindMentions("Yesterday, on 14 September 2020, and on 9 August.", "en", Ref{})
	if len(ms) != 1 || ms[0].Value != "2020-09-14" {
		t.Errorf("got %v, want only 14 September 2020", ms)
	}
}

// TestSampleArticle runs the shared sample article, read in place.
func TestSampleArticle(t *testing.T) {
	data, err := os.ReadFile("../../../../../shared/samples/000_5bf86750952c11d4.txt")
	if err != nil {
		t.Skipf("shared sample not available: %v", err)
	}
	s, err := article.ParseSample(data)
	if err != nil {
		t.Fatal(err)
	}
	a := &article.Raw{Body: s.Body(), Published: s.Published, Source: article.Source{Type: "file"}, IngestedAt: time.Now()}
	e := &article.Enrichment{Language: &article.Language{Code: "nl"}}
	if err := New().Tag(a, e); err != nil {
		t.Fatal(err)
	}
	if e.Date.Published != "2020-09" || e.Date.Precision != article.PrecisionMonth || e.Date.Source != SourceHeader {
		t.Errorf("published = %+v", e.Date)
	}
	found := false
	for _, m := range e.Date.Mentions {
		if a.Body[m.Start:m.End] != m.Text {
			t.Errorf("mention %q does not match its offsets", m.Text)
		}
		if strings.Contains(m.Text, "1,5") || strings.Contains(m.Text, "miljard") {
			t.Errorf("number taken for a date: %+v", m)
		}
		if m.Text == "9 augustus" {
			found = true
			if m.Value != "2020-08-09" {
				t.Errorf("9 augustus = %s, want 2020-08-09", m.Value)
			}
		}
		if len(m.Value) > len("2020-09") && m.Text != "9 augustus" {
			t.Errorf("%q = %s is more precise than the reference 2020-09", m.Text, m.Value)
		}
	}
	if !found {
		t.Errorf("9 augustus not found in %v", e.Date.Mentions)
	}
}

func FuzzFindMentions(f *testing.F) {
	for _, s := range []string{"9 augustus", "on 14 September 2020 at 3 p.m.", "1,5 miljard en 3-2", "vor drei Tagen um 15 Uhr",
		"il y a deux jours, le 1er mai", "hace dos días", "2020-09-14T15:00", "14/09/20", "the third quarter. A year earlier"} {
		f.Add(s, "en")
		f.Add(s, "nl")
	}
	langs := append(Languages(), "", "xx")
	f.Fuzz(func(t *testing.T, text, lang string) {
		for _, l := range append(langs, lang) {
			ms := FindMentions(text, l, Ref{T: time.Date(2020, 9, 16, 0, 0, 0, 0, time.UTC), Precision: article.PrecisionDay})
			end := 0
			for _, m := range ms {
				if m.Start < end || m.End <= m.Start || m.End > len(text) {
					t.Fatalf("bad span %d-%d after %d in %q", m.Start, m.End, end, text)
				}
				if text[m.Start:m.End] != m.Text {
					t.Fatalf("text %q does not match span %q", m.Text, text[m.Start:m.End])
				}
				if m.Value == "" || !utf8.ValidString(m.Value) || len(m.Value) < 3 {
					t.Fatalf("bad value %q for %q", m.Value, m.Text)
				}
				end = m.End
			}
		}
	})
}

func BenchmarkFindMentions(b *testing.B) {
	text := strings.Repeat("The minister said on Monday that the third quarter, which ended on Sept. 30, was weak. "+
		"A year earlier profit rose 2,000 points; 1,5 miljard. Talks resume next week at 3 p.m. ", 10)
	r := Ref{T: time.Date(2020, 10, 16, 0, 0, 0, 0, time.UTC), Precision: article.PrecisionDay}
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		FindMentions(text, "en", r)
	}
}
