package feeds

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Feed is one feed to follow.
type Feed struct {
	URL      string
	Name     string        // source name in the articles; the host when empty
	Interval time.Duration // 0: the poller's default
	FullText bool          // fetch each new article's page for its full text
}

// SourceName is the name the feed's articles carry.
func (f Feed) SourceName() string {
	if f.Name != "" {
		return f.Name
	}
	if u, err := url.Parse(f.URL); err == nil && u.Host != "" {
		return strings.ToLower(u.Hostname())
	}
	return f.URL
}

// MinInterval is the shortest poll interval a feed may ask for.
const MinInterval = time.Second

// ParseSpec reads one feed as the list file and the -feed flag write it: the
// URL, then options: interval=DURATION, fulltext, name=NAME.
func ParseSpec(spec string) (Feed, error) {
	fields := strings.Fields(spec)
	if len(fields) == 0 {
		return Feed{}, errors.New("empty feed")
	}
	f := Feed{URL: fields[0]}
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Feed{}, fmt.Errorf("feed URL %q: want an absolute http or https URL", f.URL)
	}
	var errs []error
	for _, opt := range fields[1:] {
		key, val, hasVal := strings.Cut(opt, "=")
		switch strings.ToLower(key) {
		case "interval":
			d, err := time.ParseDuration(val)
			if err != nil || d < MinInterval {
				errs = append(errs, fmt.Errorf("interval %q: want a duration of at least %s", val, MinInterval))
			}
			f.Interval = d
		case "fulltext", "full-text":
			f.FullText = !hasVal || val == "true" || val == "yes"
			if hasVal && !f.FullText && val != "false" && val != "no" {
				errs = append(errs, fmt.Errorf("fulltext=%q: want true or false", val))
			}
		case "name":
			if val == "" {
				errs = append(errs, errors.New("name: empty"))
			}
			f.Name = val
		default:
			errs = append(errs, fmt.Errorf("unknown option %q (want interval=, fulltext, name=)", opt))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Feed{}, fmt.Errorf("feed %s: %w", f.URL, err)
	}
	return f, nil
}

// ParseList reads a feed list: one feed per line as ParseSpec reads it,
// blank lines and lines starting with # ignored. Every bad line is reported.
func ParseList(r io.Reader) ([]Feed, error) {
	var out []Feed
	var errs []error
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f, err := ParseSpec(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			continue
		}
		out = append(out, f)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, errors.Join(errs...)
}

// ParseOPML reads the feeds of an OPML subscription list (the export format
// of feed readers): every outline with an xmlUrl, at any depth.
func ParseOPML(r io.Reader) ([]Feed, error) {
	var doc struct {
		Body struct {
			Outlines []outline `xml:"outline"`
		} `xml:"body"`
	}
	dec := xml.NewDecoder(io.LimitReader(r, 16<<20))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("reading OPML: %w", err)
	}
	var out []Feed
	var errs []error
	var walk func([]outline)
	walk = func(os []outline) {
		for _, o := range os {
			if o.XMLURL != "" {
				f, err := ParseSpec(o.XMLURL)
				if err != nil {
					errs = append(errs, err)
				} else {
					f.Name = strings.TrimSpace(o.Title)
					if f.Name == "" {
						f.Name = strings.TrimSpace(o.Text)
					}
					out = append(out, f)
				}
			}
			walk(o.Children)
		}
	}
	walk(doc.Body.Outlines)
	return out, errors.Join(errs...)
}

type outline struct {
	XMLURL   string    `xml:"xmlUrl,attr"`
	Title    string    `xml:"title,attr"`
	Text     string    `xml:"text,attr"`
	Children []outline `xml:"outline"`
}

// LoadList reads a feed list file: OPML when it ends in .opml or .xml, the
// line format otherwise.
func LoadList(path string) ([]Feed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var feeds []Feed
	switch strings.ToLower(filepath.Ext(path)) {
	case ".opml", ".xml":
		feeds, err = ParseOPML(f)
	default:
		feeds, err = ParseList(f)
	}
	if err != nil {
		return nil, fmt.Errorf("feed list %s: %w", path, err)
	}
	return feeds, nil
}

// Dedupe drops repeated feed URLs, keeping the first, and reports them.
func Dedupe(feeds []Feed) ([]Feed, []string) {
	seen := map[string]bool{}
	var out []Feed
	var dups []string
	for _, f := range feeds {
		if seen[f.URL] {
			dups = append(dups, f.URL)
			continue
		}
		seen[f.URL] = true
		out = append(out, f)
	}
	return out, dups
}
