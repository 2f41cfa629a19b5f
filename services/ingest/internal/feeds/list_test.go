package feeds

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseList(t *testing.T) {
	feeds, err := ParseList(strings.NewReader(`
# news
https://news.example.org/feed/
https://stad.example.net/atom.xml interval=5m name=stad
  https://notes.example.com/feed.json fulltext interval=90s
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Feed{
		{URL: "https://news.example.org/feed/"},
		{URL: "https://stad.example.net/atom.xml", Name: "stad", Interval: 5 * time.Minute},
		{URL: "https://notes.example.com/feed.json", FullText: true, Interval: 90 * time.Second},
	}
	if len(feeds) != len(want) {
		t.Fatalf("%+v", feeds)
	}
	for i := range want {
		if feeds[i] != want[i] {
			t.Errorf("feed %d: %+v, want %+v", i, feeds[i], want[i])
		}
	}
	if feeds[0].SourceName() != "news.example.org" || feeds[1].SourceName() != "stad" {
		t.Errorf("source names %q %q", feeds[0].SourceName(), feeds[1].SourceName())
	}
}

func TestParseListReportsEveryBadLine(t *testing.T) {
	_, err := ParseList(strings.NewReader("ftp://x/feed\nhttps://ok.example/\nhttps://y/ interval=1ms\nhttps://z/ colour=blue\nnot a url\n"))
	if err == nil {
		t.Fatal("accepted")
	}
	for _, s := range []string{"line 1", "line 3", "line 4", "line 5", "colour=blue"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not mention %q: %v", s, err)
		}
	}
	if strings.Contains(err.Error(), "line 2") {
		t.Errorf("good line reported: %v", err)
	}
}

func TestLoadOPML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "subs.opml")
	err := os.WriteFile(path, []byte(`<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
<outline text="News"><outline type="rss" text="Gazette" xmlUrl="https://news.example.org/feed/"/>
<outline type="rss" title="Stad" text="x" xmlUrl="https://stad.example.net/atom.xml"/></outline>
<outline text="no feed here"/>
</body></opml>`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	feeds, err := LoadList(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) != 2 || feeds[0].Name != "Gazette" || feeds[1].Name != "Stad" || feeds[1].URL != "https://stad.example.net/atom.xml" {
		t.Fatalf("%+v", feeds)
	}
}

func TestDedupe(t *testing.T) {
	out, dups := Dedupe([]Feed{{URL: "a"}, {URL: "b"}, {URL: "a", Name: "again"}})
	if len(out) != 2 || len(dups) != 1 || dups[0] != "a" {
		t.Fatalf("%v %v", out, dups)
	}
}
