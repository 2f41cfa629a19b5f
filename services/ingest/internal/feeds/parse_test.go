package feeds

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestParseRealWorldShapes(t *testing.T) {
	type want struct {
		url, title, bodyHas, published, lang string
	}
	tests := []struct {
		name     string
		file     string
		feedType string
		articles []want
		refused  []string // reasons
	}{
		{
			name: "rss 2.0 with content:encoded, relative link, zone names", file: "rss2.xml",
			articles: []want{
				{"https://news.example.org/2020/09/ferry-service-resumes/?utm_source=rss&utm_medium=feed", "Ferry service resumes after storm",
					"islands runs again from Tuesday.\n\nThe operator said repairs to the pier took three days.", "2020-09-14T13:00:00Z", "en"},
				// content:encoded is longer than the description and wins; the script is gone; <br><br> splits a paragraph.
				{"https://news.example.org/2020/09/cycle-lane", "Council approves new cycle lane",
					"Quay Street.\n\nWork starts in October.\n\nA consultation on parking follows.", "2020-09-13T09:30:00Z", "en"},
				// no link: identified by its GUID; EDT is -4h.
				{"", "Market hours change", "opens an hour earlier", "2020-09-12T12:00:00Z", "en"},
			},
			refused: []string{"missing_body"}, // the gallery item has only an image
		},
		{
			name: "atom with html title and updated-only entry", file: "atom.xml",
			articles: []want{
				{"https://stad.example.net/artikel/brug", "Nieuwe brug geopend", "door de burgemeester.\n\nFietsers", "2020-09-14T08:15:00Z", "nl"},
				{"", "Alleen bijgewerkt", "zonder publicatiedatum", "2020-09-13", "nl"},
			},
		},
		{
			name: "json feed 1.1", file: "feed.json",
			articles: []want{
				{"https://notes.example.com/posts/zwei", "Zweiter Beitrag", "Datenbanken.", "2020-09-14T13:00:00Z", "de"},
				{"https://notes.example.com/posts/eins", "", "Ein Beitrag ohne Titel.\n\nMit zwei Absätzen.", "2020-09-10T08:00:00Z", "de"},
			},
		},
		{
			// Go's XML decoder does not expand DTD entities: the references
			// stay as text, nothing grows, no file is read.
			name: "entity expansion attempt", file: "billion-laughs.xml",
			articles: []want{{"https://laughs.example.org/1", "&lol9;", "Before &lol9; after. &xxe;", "", ""}},
		},
		{
			name: "latin-1 declared", file: "latin1.xml",
			articles: []want{{"https://latin.example.org/cafe", "Café opens", "The café on the corner", "", ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(fixture(t, tt.file), Origin{FeedURL: "https://feeds.example/" + tt.file, Source: "test"}, now)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Articles) != len(tt.articles) {
				t.Fatalf("%d articles, want %d: %+v", len(p.Articles), len(tt.articles), p.Articles)
			}
			for i, w := range tt.articles {
				a := p.Articles[i]
				if a.URL != w.url || a.Title != w.title || !strings.Contains(a.Body, w.bodyHas) || a.Published != w.published || a.LangHint != w.lang {
					t.Errorf("article %d:\n got %q %q %q %q %q\nwant %q %q ~%q %q %q", i, a.URL, a.Title, a.Body, a.Published, a.LangHint,
						w.url, w.title, w.bodyHas, w.published, w.lang)
				}
				if err := a.Validate(); err != nil {
					t.Errorf("article %d does not validate: %v", i, err)
				}
				if a.Source != (article.Source{Type: "feed", Name: "test", URI: "https://feeds.example/" + tt.file}) {
					t.Errorf("source %+v", a.Source)
				}
			}
			var reasons []string
			for _, r := range p.Refused {
				reasons = append(reasons, article.Reason(r.Err))
			}
			if strings.Join(reasons, ",") != strings.Join(tt.refused, ",") {
				t.Errorf("refused %v, want %v", reasons, tt.refused)
			}
		})
	}
}

func TestParseIDs(t *testing.T) {
	p, err := Parse(fixture(t, "rss2.xml"), Origin{FeedURL: "https://news.example.org/feed/", Source: "gazette"}, now)
	if err != nil {
		t.Fatal(err)
	}
	// The URL wins, canonicalised (no utm_*): the same article linked from
	// elsewhere gets the same id.
	if got, want := p.Articles[0].ID, article.ID("https://news.example.org/2020/09/ferry-service-resumes/", "", "", "", ""); got != want {
		t.Errorf("url id %s, want %s", got, want)
	}
	// Without a link, the GUID qualified by the configured feed URL.
	if got, want := p.Articles[2].ID, article.ID("", "https://news.example.org/feed/", "market-hours-2020", "", ""); got != want {
		t.Errorf("guid id %s, want %s", got, want)
	}
	// A redirect (another base URL) changes neither.
	again, err := Parse(fixture(t, "rss2.xml"), Origin{FeedURL: "https://news.example.org/feed/", BaseURL: "https://cdn.example.org/x", Source: "gazette"}, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for i := range p.Articles {
		if p.Articles[i].ID != again.Articles[i].ID {
			t.Errorf("article %d id changed across polls", i)
		}
	}
}

func TestParseBadDocuments(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"broken xml", fixture(t, "broken.xml"), nil},
		{"html page", []byte("<!DOCTYPE html><html><body>Not a feed</body></html>"), ErrNotAFeed},
		{"empty", nil, ErrNotAFeed},
		{"json but not a feed", []byte(`{"hello": "world"}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.body, Origin{FeedURL: "https://x.example/f", Source: "x"}, now)
			if err == nil && len(p.Articles) > 0 {
				t.Fatalf("accepted: %+v", p.Articles)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

func TestParseInvalidUTF8IsRepairedAndCounted(t *testing.T) {
	p, err := Parse(fixture(t, "invalid-utf8.xml"), Origin{FeedURL: "https://bytes.example.org/f", Source: "x"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Repaired != 4 || len(p.Articles) != 1 {
		t.Fatalf("repaired %d, %d articles", p.Repaired, len(p.Articles))
	}
	if a := p.Articles[0]; a.Title != "Caf\uFFFD opens" || !strings.Contains(a.Body, "opens \uFFFD today") {
		t.Fatalf("got %q / %q", a.Title, a.Body)
	}
}

func TestParseBillionLaughsStaysSmall(t *testing.T) {
	// Scaled up, the attack would be gigabytes if expanded.
	doc := strings.Replace(string(fixture(t, "billion-laughs.xml")), "<title>&lol9;</title>", strings.Repeat("<title>&lol9;</title>", 1000), 1)
	start := time.Now()
	p, err := Parse([]byte(doc), Origin{FeedURL: "https://x.example/f", Source: "x"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Articles[0].Body) + len(p.Articles[0].Title); n > 1000 {
		t.Fatalf("entities grew the article to %d bytes", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
}

func TestNeedTextWithFullText(t *testing.T) {
	p, err := Parse(fixture(t, "rss2.xml"), Origin{FeedURL: "https://news.example.org/feed/", Source: "g", FullText: true}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.NeedText) != 1 || p.NeedText[0].URL != "https://news.example.org/2020/09/gallery" || len(p.Refused) != 0 {
		t.Fatalf("need text %+v, refused %+v", p.NeedText, p.Refused)
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain   text\n\nsecond", "plain text\n\nsecond"},
		{"<p>One</p><p>Two <b>bold</b> &amp; more</p>", "One\n\nTwo bold & more"},
		{"line<br>same para<br/><br/>new para", "line same para\n\nnew para"},
		{"<div>a<script>alert(1)</script><style>p{}</style>b</div>", "ab"},
		{"<ul><li>x</li><li>y</li></ul>", "x\n\ny"},
		{"a < b and c > d", "a < b and c > d"},
		{"<p>unclosed <i>tags", "unclosed tags"},
		{"&eacute;t&eacute; &#8211; &unknown;", "été – &unknown;"},
		{"nul\x00<b>byte</b>", "nul\uFFFDbyte"},
	}
	for _, tt := range tests {
		if got := HTMLText(tt.in); got != tt.want {
			t.Errorf("HTMLText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLangHint(t *testing.T) {
	for in, want := range map[string]string{"en-US": "en", "nl": "nl", "pt_BR": "pt", "": "", "english": "", "x1": ""} {
		if got := langHint(in); got != want {
			t.Errorf("langHint(%q) = %q, want %q", in, got, want)
		}
	}
}
