package date

import (
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

func TestTagSources(t *testing.T) {
	ingested := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name                    string
		a                       article.Raw
		want, precision, source string
	}{
		{"sample header", article.Raw{Published: "2020-09", Source: article.Source{Type: "file"}, Body: "x"}, "2020-09", "month", SourceHeader},
		{"feed date", article.Raw{Published: "Mon, 14 Sep 2020 15:04:05 +0200", Source: article.Source{Type: "feed"}, Body: "x"}, "2020-09-14T13:04:05Z", "second", SourceFeed},
		{"dateline", article.Raw{Source: article.Source{Type: "http"}, Body: "BRUSSELS, 14 September 2020 - Ministers met."}, "2020-09-14", "day", SourceText},
		{"ingest time", article.Raw{Source: article.Source{Type: "http"}, Body: "Ministers met yesterday."}, "2026-11-27T10:00:00Z", "second", SourceIngest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.a.IngestedAt = ingested
			e := &article.Enrichment{Language: &article.Language{Code: "en"}}
			if err := New().Tag(&tt.a, e); err != nil {
				t.Fatal(err)
			}
			d := e.Date
			if d.Published != tt.want || string(d.Precision) != tt.precision || d.Source != tt.source {
				t.Errorf("got %s %s %s, want %s %s %s", d.Published, d.Precision, d.Source, tt.want, tt.precision, tt.source)
			}
			if d.Mentions == nil {
				t.Error("mentions must be an empty list, not absent")
			}
		})
	}
}

func TestTagTitleAndBodyOffsets(t *testing.T) {
	a := &article.Raw{Title: "Vote on Monday", Body: "Über die Wahl am 14. März wird gestern berichtet.", Published: "2020-09-16", Source: article.Source{Type: "file"}}
	e := &article.Enrichment{Language: &article.Language{Code: "de"}}
	if err := New().Tag(a, e); err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{"title": a.Title, "body": a.Body}
	var got []string
	for _, m := range e.Date.Mentions {
		if fields[m.Field][m.Start:m.End] != m.Text {
			t.Errorf("%s %d-%d is %q, not %q", m.Field, m.Start, m.End, fields[m.Field][m.Start:m.End], m.Text)
		}
		got = append(got, m.Field+":"+m.Text+"="+m.Value)
	}
	// the title is German-tagged here, so "Monday" is not a German word; the
	// body has a multibyte letter before the mentions
	want := []string{"body:14. März=2020-03-14", "body:gestern=2020-09-15"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, want %v", got, want)
	}
}

func BenchmarkTag(b *testing.B) {
	a := &article.Raw{Body: "Die staat op de tocht sinds de presidentsverkiezingen van 9 augustus. Maandag sprak hij met Poetin, gisteren met de EU. " +
		"Een lening van anderhalf miljard dollar, 1,5 miljard. Volgende week, op 14 september 2020 om 10.00 uur.", Published: "2020-09", Source: article.Source{Type: "file"}}
	t := New()
	for b.Loop() {
		e := &article.Enrichment{Language: &article.Language{Code: "nl"}}
		if err := t.Tag(a, e); err != nil {
			b.Fatal(err)
		}
	}
}
