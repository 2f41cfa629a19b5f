package feeds

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// FuzzParse feeds arbitrary documents to the feed parser: it must not
// panic, and whatever it returns as an article must satisfy the contract.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"rss2.xml", "atom.xml", "feed.json", "broken.xml", "billion-laughs.xml", "invalid-utf8.xml", "latin1.xml"} {
		f.Add(fixture(f, name))
	}
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1","items":[{"id":"1","content_text":"\u0000"}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		p, err := Parse(doc, Origin{FeedURL: "https://fuzz.example/feed", Source: "fuzz", FullText: true}, now)
		if err != nil {
			return
		}
		for _, a := range p.Articles {
			if err := a.Validate(); err != nil {
				t.Fatalf("invalid article returned: %v: %+v", err, a)
			}
			if _, err := article.Encode(a); err != nil {
				t.Fatalf("article does not encode: %v", err)
			}
		}
		for _, a := range p.NeedText {
			if a.URL == "" {
				t.Fatalf("article kept for full text without a URL: %+v", a)
			}
		}
		for _, r := range p.Refused {
			if r.Err == nil {
				t.Fatal("refusal without a reason")
			}
		}
	})
}

// FuzzHTMLText: any input gives valid UTF-8 (when given valid UTF-8),
// no tags from well-formed markup, and no runs of blank lines.
func FuzzHTMLText(f *testing.F) {
	for _, s := range []string{"<p>a</p><p>b</p>", "x<br><br>y", "<script>x</script>", "&amp;&lt;&#0;", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := HTMLText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		if strings.Contains(out, "\n\n\n") || strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") {
			t.Fatalf("untidy text %q from %q", out, s)
		}
		if strings.Contains(out, brMark) {
			t.Fatalf("line-break marker leaked into %q", out)
		}
	})
}

// FuzzParseList: the list parser accepts only absolute http(s) URLs.
func FuzzParseList(f *testing.F) {
	f.Add("https://a.example/feed interval=5m fulltext name=x\n# c\n")
	f.Add("ftp://x\n")
	f.Fuzz(func(t *testing.T, s string) {
		feeds, err := ParseList(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, fd := range feeds {
			if !strings.HasPrefix(fd.URL, "http://") && !strings.HasPrefix(fd.URL, "https://") {
				t.Fatalf("accepted %q", fd.URL)
			}
			if fd.Interval != 0 && fd.Interval < MinInterval {
				t.Fatalf("accepted interval %s", fd.Interval)
			}
		}
	})
}
