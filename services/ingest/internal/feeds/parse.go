package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"github.com/newsflow/newsflow/pkg/article"
)

// ErrNotAFeed reports a document that is not RSS, Atom or JSON Feed.
var ErrNotAFeed = errors.New("not an RSS, Atom or JSON feed")

// Origin says where a feed document came from.
type Origin struct {
	// FeedURL is the configured URL: it qualifies GUIDs in article ids, so
	// it must not change when the server redirects.
	FeedURL string
	// BaseURL resolves relative links: the URL after redirects.
	BaseURL string
	// Source names the feed in the articles' source field.
	Source string
	// FullText says the articles' pages will be fetched, so an item with
	// no text of its own is not refused but returned in NeedText.
	FullText bool
}

// Parsed is what one feed document gave.
type Parsed struct {
	Title    string
	Articles []*article.Raw
	// NeedText are items with a link but no text, kept for full-text
	// extraction when the origin asks for it.
	NeedText []*article.Raw
	Refused  []Refusal
	// Repaired counts invalid UTF-8 sequences replaced by U+FFFD in a
	// document that claimed to be UTF-8.
	Repaired int
}

// Refusal is a feed item that does not make a valid article, and why.
type Refusal struct {
	ID   string
	Item string // the item's link, GUID or position, for the log
	Err  error
}

// Parse reads a feed document into raw articles.
func Parse(body []byte, o Origin, now time.Time) (*Parsed, error) {
	out := &Parsed{}
	if !utf8.Valid(body) && !otherCharset(body) {
		out.Repaired = countInvalid(body)
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	// A fresh parser per document: gofeed's parsers keep state.
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, ErrNotAFeed
	}
	if err != nil {
		return nil, fmt.Errorf("parsing feed: %w", err)
	}
	out.Title = strings.TrimSpace(HTMLText(feed.Title))
	if o.BaseURL == "" {
		o.BaseURL = o.FeedURL
	}
	base, _ := url.Parse(o.BaseURL)
	if feed.Link != "" {
		if l, err := url.Parse(strings.TrimSpace(feed.Link)); err == nil && base != nil {
			base = base.ResolveReference(l)
		}
	}
	lang := langHint(feed.Language)
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		a := item(it, base, o.FeedURL, o.Source, lang, now)
		where := a.URL
		if where == "" {
			where = strings.TrimSpace(it.GUID)
		}
		if where == "" {
			where = fmt.Sprintf("item %d", i+1)
		}
		err := a.Validate()
		if o.FullText && a.URL != "" && errors.Is(err, article.ErrMissingBody) {
			out.NeedText = append(out.NeedText, a)
			continue
		}
		if err != nil {
			out.Refused = append(out.Refused, Refusal{ID: a.ID, Item: where, Err: err})
			continue
		}
		if _, err := article.Encode(a); err != nil {
			out.Refused = append(out.Refused, Refusal{ID: a.ID, Item: where, Err: err})
			continue
		}
		out.Articles = append(out.Articles, a)
	}
	return out, nil
}

func item(it *gofeed.Item, base *url.URL, feedURL, source, lang string, now time.Time) *article.Raw {
	link := strings.TrimSpace(it.Link)
	if link == "" && len(it.Links) > 0 {
		link = strings.TrimSpace(it.Links[0])
	}
	if link != "" && base != nil {
		if l, err := url.Parse(link); err == nil {
			link = base.ResolveReference(l).String()
		}
	}
	if _, ok := article.CanonicalURL(link); !ok {
		// Not an http(s) article page (a tag: URI, a mailto:): keep it out of
		// the url field; the GUID or the text identifies the article.
		link = ""
	}
	body := HTMLText(it.Description)
	if content := HTMLText(it.Content); len(content) > len(body) {
		body = content
	}
	title := HTMLText(it.Title)
	a := &article.Raw{
		SchemaVersion: article.SchemaVersion,
		Source:        article.Source{Type: "feed", Name: source, URI: feedURL},
		URL:           link,
		Title:         title,
		Body:          body,
		Published:     published(it),
		IngestedAt:    now,
		LangHint:      lang,
	}
	a.ID = article.ID(link, feedURL, it.GUID, title, body)
	return a
}

// published is the item's publication date as precise as the feed gives
// it, or its update date when it gives none; "" when neither reads.
func published(it *gofeed.Item) string {
	for _, d := range []struct {
		text   string
		parsed *time.Time
	}{{it.Published, it.PublishedParsed}, {it.Updated, it.UpdatedParsed}} {
		if v, _, err := article.NormaliseDate(d.text); err == nil {
			return v
		}
		if d.parsed != nil && !d.parsed.IsZero() && d.parsed.Year() >= 1000 && d.parsed.Year() <= 9999 {
			return article.FormatDate(*d.parsed, article.PrecisionSecond, true)
		}
	}
	return ""
}

var langTag = regexp.MustCompile(`^[a-zA-Z]{2,3}$`)

// langHint is the primary language subtag of a feed's language ("en-us"
// gives "en"), or "" when it is not one.
func langHint(s string) string {
	primary, _, _ := strings.Cut(strings.TrimSpace(s), "-")
	primary, _, _ = strings.Cut(primary, "_")
	if !langTag.MatchString(primary) {
		return ""
	}
	return strings.ToLower(primary)
}

var encodingDecl = regexp.MustCompile(`(?i)^\s*<\?xml[^>]*encoding\s*=\s*["']([a-z0-9_.:-]+)["']`)

// otherCharset reports whether an XML document declares an encoding other
// than UTF-8, which the parser converts; its bytes are not UTF-8 to repair.
func otherCharset(body []byte) bool {
	head := body[:min(len(body), 256)]
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	m := encodingDecl.FindSubmatch(head)
	if m == nil {
		return false
	}
	enc := strings.ToLower(string(m[1]))
	return enc != "utf-8" && enc != "utf8"
}

func countInvalid(b []byte) int {
	n := 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			n++
		}
		b = b[size:]
	}
	return n
}
