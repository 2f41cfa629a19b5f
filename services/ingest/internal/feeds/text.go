package feeds

import (
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLText turns the HTML of a feed summary or content into plain text in
// the article body's shape: paragraphs separated by a blank line, runs of
// white space inside a paragraph folded to one space. Scripts, styles and
// other non-text elements are dropped with their content.
func HTMLText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return foldParagraphs(strings.ReplaceAll(s, "\x00", "\uFFFD"))
	}
	var paras []string
	var cur strings.Builder
	flush := func() {
		// Two line breaks in a row (<br><br>) end a paragraph, one does not.
		for _, p := range brBreak.Split(cur.String(), -1) {
			if p = foldSpace(strings.ReplaceAll(p, brMark, " ")); p != "" {
				paras = append(paras, p)
			}
		}
		cur.Reset()
	}
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside elements whose content is not text
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush()
			return strings.Join(paras, "\n\n")
		case html.TextToken:
			if skip == 0 {
				cur.WriteString(strings.ReplaceAll(string(z.Text()), "\x00", "\uFFFD"))
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] && tt != html.SelfClosingTagToken {
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
				continue
			}
			switch {
			case a == atom.Br:
				cur.WriteString(brMark)
			case block[a]:
				flush()
			}
		}
	}
}

// foldParagraphs tidies plain text: paragraphs stay split at blank lines.
func foldParagraphs(s string) string {
	var paras []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = foldSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	return strings.Join(paras, "\n\n")
}

func foldSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// brMark stands for a <br> until paragraphs are split; NUL in the text
// itself is replaced before, as HTML parsers do.
const brMark = "\x00"

var brBreak = regexp.MustCompile(`\x00\s*\x00[\s\x00]*`)

var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Iframe: true,
	atom.Svg: true, atom.Template: true, atom.Object: true, atom.Head: true, atom.Title: true,
}

var block = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Section: true,
	atom.Article: true, atom.Header: true, atom.Footer: true, atom.Figure: true, atom.Figcaption: true,
	atom.Hr: true, atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Aside: true, atom.Main: true,
	atom.Body: true, atom.Html: true,
}
