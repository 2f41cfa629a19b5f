package article

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/url"
	"sort"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// IDLen is the length of an article id: 32 lowercase hex characters.
const IDLen = 32

// ID derives the article id from what the source knows, in order of
// preference: the canonical URL, the feed GUID qualified by the feed URL, or
// the normalised title and body. The same article seen twice gets the same id.
func ID(rawURL, feedURL, guid, title, body string) string {
	if canon, ok := CanonicalURL(rawURL); ok {
		return hashID("url\x00" + canon)
	}
	if g := strings.TrimSpace(guid); g != "" {
		feed, ok := CanonicalURL(feedURL)
		if !ok {
			feed = strings.TrimSpace(feedURL)
		}
		return hashID("guid\x00" + feed + "\x00" + g)
	}
	return hashID("text\x00" + NormaliseText(title) + "\x00" + NormaliseText(body))
}

func hashID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:IDLen/2])
}

// ValidID reports whether s has the shape of an article id.
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CanonicalURL returns the form of an http(s) URL that identifies an article:
// lower-cased scheme and host, no default port, no fragment, no utm_*
// tracking parameters, the remaining query parameters sorted. It reports false
// for anything that is not an absolute http(s) URL.
func CanonicalURL(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	defaultPort := (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443")
	if port != "" && !defaultPort {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	u.User = nil
	u.Fragment = ""
	u.RawFragment = ""
	if u.Path == "" {
		u.Path = "/"
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") {
				delete(q, k)
			}
		}
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			vs := q[k]
			sort.Strings(vs)
			for _, v := range vs {
				if b.Len() > 0 {
					b.WriteByte('&')
				}
				b.WriteString(url.QueryEscape(k))
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
		}
		u.RawQuery = b.String()
	}
	u.ForceQuery = false
	return u.String(), true
}

// NormaliseText folds text for identity: Unicode NFC, lower case, runs of
// white space collapsed to one space, trimmed.
func NormaliseText(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}
