package files

import (
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

var now = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func readAll(t *testing.T, path string) []Item {
	t.Helper()
	var items []Item
	if err := Read(path, now, func(it Item) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	return items
}

func TestNewsPlease(t *testing.T) {
	items := readAll(t, "testdata/newsplease.jsonl")
	if len(items) != 4 {
		t.Fatalf("%d items", len(items))
	}
	a := items[0].Article
	if a == nil {
		t.Fatal(items[0].Err)
	}
	want := article.Raw{
		SchemaVersion: 1, ID: article.ID("https://news.example.org/ferry", "", "", "", ""),
		Source: article.Source{Type: "jsonl", Name: "news.example.org", URI: "file:newsplease.jsonl#L1"},
		URL:    "https://news.example.org/ferry", Title: "Ferry service resumes",
		Body:      "The ferry between the two islands runs again from Tuesday.\n\nRepairs took three days.",
		Published: "2020-09-14T15:00:00", IngestedAt: now, LangHint: "en",
	}
	if *a != want {
		t.Fatalf("got  %+v\nwant %+v", *a, want)
	}
	b := items[1].Article
	if b == nil || b.Body != "Only a description here." || b.Title != "Brug open" || b.Published != "" || b.LangHint != "nl" {
		t.Fatalf("description fallback: %+v %v", b, items[1].Err)
	}
	if items[2].Err == nil || article.Reason(items[2].Err) != "invalid_date" || !strings.Contains(items[2].Err.Error(), "date_publish") {
		t.Fatalf("bad date: %v", items[2].Err)
	}
	if items[3].Err == nil || article.Reason(items[3].Err) != "missing_body" || items[3].Where != "testdata/newsplease.jsonl:4" {
		t.Fatalf("no text: %+v", items[3])
	}
}

func TestFromLine(t *testing.T) {
	tests := []struct {
		name, line, reason string
	}{
		{"minimal", `{"body":"Text."}`, ""},
		{"full", `{"schema_version":1,"id":"0123456789abcdef0123456789abcdef","source":{"type":"http","name":"n","uri":"u"},"url":"","title":"T","body":"B","published":"2020-09","ingested_at":"2026-01-01T00:00:00Z","lang_hint":"nl"}`, ""},
		{"rfc1123 published", `{"body":"x","published":"Mon, 14 Sep 2020 15:00:00 GMT"}`, ""},
		{"bad published", `{"body":"x","published":"soon"}`, "invalid_date"},
		{"no body", `{"title":"x"}`, "missing_body"},
		{"bad id", `{"id":"XYZ","body":"x"}`, "invalid_id"},
		{"schema 2", `{"schema_version":2,"body":"x"}`, "schema_version"},
		{"wrong type", `{"body":5}`, "invalid_field"},
		{"trailing", `{"body":"x"} {}`, "malformed_json"},
		{"not json", `body: x`, "malformed_json"},
		{"a string", `"just a string"`, "malformed_json"},
		{"an array", `[{"body":"x"}]`, "malformed_json"},
		{"invalid utf8", "{\"body\":\"\xff\"}", "invalid_utf8"},
		{"escaped nul", `{"body":"a\u0000b"}`, "nul_byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := FromLine([]byte(tt.line), LineSource("f.jsonl", 7), now, "f.jsonl:7")
			if tt.reason == "" {
				if it.Err != nil {
					t.Fatal(it.Err)
				}
				return
			}
			if it.Err == nil || article.Reason(it.Err) != tt.reason {
				t.Fatalf("error %v, want reason %s", it.Err, tt.reason)
			}
		})
	}
	it := FromLine([]byte(`{"body":"x","published":"Mon, 14 Sep 2020 15:00:00 GMT"}`), LineSource("f.jsonl", 7), now, "")
	if it.Article.Published != "2020-09-14T15:00:00Z" || it.Article.Source.URI != "file:f.jsonl#L7" {
		t.Fatalf("%+v", it.Article)
	}
}

func FuzzFromLine(f *testing.F) {
	f.Add([]byte(`{"body":"Text."}`))
	f.Add([]byte(`{"maintext":"x","date_publish":"2020-09-14 15:00:00","source_domain":"a"}`))
	f.Add([]byte(`{"body":"x","published":"Mon, 14 Sep 2020 15:00:00 GMT"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		it := FromLine(raw, LineSource("f.jsonl", 1), now, "f.jsonl:1")
		if it.Err != nil {
			if it.Article != nil {
				t.Fatal("both an article and an error")
			}
			return
		}
		data, err := article.Encode(it.Article)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := article.DecodeRaw(data); err != nil {
			t.Fatalf("accepted line does not make a contract article: %v", err)
		}
	})
}
