package config

import (
	"strings"
	"testing"
)

func TestRedactURLs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://sink:s3cret@db/news", "postgres://sink:REDACTED@db/news"},
		{"postgres://db/news?sslmode=require&password=s3cret", "postgres://db/news?password=REDACTED&sslmode=require"},
		{"sqlite:./var/newsflow.db,postgres://db/news?password=s3cret", "sqlite:./var/newsflow.db,postgres://db/news?password=REDACTED"},
		{"host=db password=s3cret dbname=news", "host=db password=REDACTED dbname=news"},
		{"jsonl:./out?gzip=true", "jsonl:./out?gzip=true"},
	} {
		got := RedactURLs(tc.in)
		if got != tc.want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactURLs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
