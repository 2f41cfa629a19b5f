package feeds

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"

	"github.com/newsflow/newsflow/pkg/article"
)

// ErrNoText reports an article page the extractor found no main text in.
var ErrNoText = errors.New("no main text found on the page")

// Page is what the extractor found on an article page.
type Page struct {
	Title     string
	Text      string
	Published string // contract ISO 8601, or ""
	Lang      string
}

// Extract finds the main text and metadata of an article page with
// readability (Mozilla's algorithm, maintained by Readeck).
func Extract(page []byte, pageURL string) (Page, error) {
	u, err := url.Parse(pageURL)
	if err != nil {
		return Page{}, fmt.Errorf("page URL: %w", err)
	}
	parser := readability.NewParser()
	art, err := parser.Parse(bytes.NewReader(page), u)
	if err != nil {
		return Page{}, fmt.Errorf("extracting text: %w", err)
	}
	if art.Node == nil {
		return Page{}, ErrNoText
	}
	var buf bytes.Buffer
	if err := art.RenderHTML(&buf); err != nil {
		return Page{}, fmt.Errorf("extracting text: %w", err)
	}
	p := Page{Title: strings.TrimSpace(art.Title()), Text: HTMLText(buf.String()), Lang: langHint(art.Language())}
	if p.Text == "" {
		return Page{}, ErrNoText
	}
	if t, err := art.PublishedTime(); err == nil && !t.IsZero() && t.Year() >= 1000 && t.Year() <= 9999 {
		p.Published = article.FormatDate(t.UTC(), article.PrecisionSecond, true)
	}
	return p, nil
}

// withPage puts an extracted page into an article built from a feed item:
// the page's text replaces a shorter summary, and its title, date and
// language fill what the feed left empty. The id does not change: it comes
// from the URL.
func withPage(a *article.Raw, p Page) {
	if len(p.Text) > len(a.Body) {
		a.Body = p.Text
	}
	if a.Title == "" {
		a.Title = p.Title
	}
	if a.Published == "" {
		a.Published = p.Published
	}
	if a.LangHint == "" {
		a.LangHint = p.Lang
	}
}
