// Package storetest is the contract suite every sink store passes (insert,
// upsert, the version rule, duplicates in a batch, replay, restart), and the
// synthetic enriched articles the suite, the stage tests and the benchmarks
// write.
package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/sink/internal/store"
)

// Gen makes enriched articles, deterministically from a seed.
type Gen struct {
	rng *rand.Rand
	// Base is the ingestion time of article 0; article i is ingested i
	// seconds later, so dates roll over every 86,400 articles.
	Base time.Time
	// DateMentions is how many dates each article's body mentions, tagged
	// as the date tagger would (none unless set).
	DateMentions int
}

// NewGen returns a generator.
func NewGen(seed uint64) *Gen {
	return &Gen{rng: rand.New(rand.NewPCG(seed, 0x6e657773)), Base: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

var (
	langs    = []string{"en", "nl", "de", "fr", "es"}
	people   = []string{"Angela Merkel", "Mark Rutte", "Ursula von der Leyen", "Pedro Sánchez", "Emmanuel Macron", "Olaf Scholz", "Giorgia Meloni", "Alexander Loekasjenko"}
	orgs     = []string{"European Commission", "Deutsche Bahn", "NATO", "Fietsersbond", "Banco de España", "Rijkswaterstaat", "UEFA"}
	places   = []string{"Brussels", "Utrecht", "Berlin", "Madrid", "Paris", "Minsk", "Rotterdam", "Sevilla"}
	sources  = []string{"samples", "reuters-feed", "nos-rss", "lemonde-rss", "elpais-rss", "dw-rss"}
	words    = strings.Fields("the council said on tuesday that a new plan for the harbour would be presented after talks with unions and regional leaders who asked for more money and faster decisions on the railway and the bridge")
	labels   = []string{article.Negative, article.Neutral, article.Positive}
	entTypes = []string{article.PER, article.ORG, article.LOC}
)

// ID is the article id of article i.
func ID(i int) string {
	h := sha256.Sum256(fmt.Appendf(nil, "storetest-article-%d", i))
	return hex.EncodeToString(h[:16])
}

// Article makes article i at the given enrichment version, with about
// bodyWords words of body and a handful of entities.
func (g *Gen) Article(i int, version string, bodyWords int) *article.Enriched {
	var b strings.Builder
	var ents []article.Entity
	for w := 0; w < bodyWords; w++ {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if w%12 == 5 {
			k := g.rng.IntN(3)
			var name string
			switch k {
			case 0:
				name = people[g.rng.IntN(len(people))]
			case 1:
				name = orgs[g.rng.IntN(len(orgs))]
			default:
				name = places[g.rng.IntN(len(places))]
			}
			start := b.Len()
			b.WriteString(name)
			ents = append(ents, article.Entity{Span: article.Span{Field: "body", Start: start, End: b.Len(), Text: name}, Type: entTypes[k], Confidence: 0.5 + g.rng.Float64()/2})
			continue
		}
		b.WriteString(words[g.rng.IntN(len(words))])
	}
	b.WriteByte('.')
	ingested := g.Base.Add(time.Duration(i) * time.Second)
	mentions := []article.DateMention{}
	for range g.DateMentions {
		d := ingested.AddDate(0, 0, -g.rng.IntN(60)).Format(time.DateOnly)
		b.WriteString(" Talks resumed on ")
		start := b.Len()
		b.WriteString(d)
		mentions = append(mentions, article.DateMention{Span: article.Span{Field: "body", Start: start, End: b.Len(), Text: d}, Value: d})
		b.WriteByte('.')
	}
	published := ingested.AddDate(0, 0, -g.rng.IntN(3)).Format(time.DateOnly)
	precision := article.PrecisionDay
	if i%7 == 3 {
		published, precision = published[:7], article.PrecisionMonth
	}
	lang := langs[i%len(langs)]
	score := g.rng.Float64()*2 - 1
	label := labels[min(2, int((score+1)*1.5))]
	return &article.Enriched{
		Raw: article.Raw{
			SchemaVersion: 1, ID: ID(i),
			Source: article.Source{Type: "feed", Name: sources[i%len(sources)], URI: fmt.Sprintf("https://example.org/%s/%d", sources[i%len(sources)], i)},
			URL:    fmt.Sprintf("https://example.org/news/%d", i), Title: fmt.Sprintf("Article %d about %s", i, places[i%len(places)]),
			Body: b.String(), Published: published, IngestedAt: ingested,
		},
		Enrichment: article.Enrichment{
			Version: version, EnrichedAt: ingested.Add(time.Second),
			Language:  &article.Language{Code: lang, Confidence: 0.9 + g.rng.Float64()/10},
			Date:      &article.Date{Published: published, Precision: precision, Source: "header", Mentions: mentions},
			Entities:  ents,
			Sentiment: &article.Sentiment{Score: score, Label: label, Confidence: 0.6},
		},
	}
}

// Record makes the record of article i at a version and Kafka position, as
// the handler would hand it to a store.
func (g *Gen) Record(i int, version string, topic string, part int, offset int64) store.Record {
	return RecordOf(g.Article(i, version, 120), topic, part, offset)
}

// RecordOf wraps an article as a consumed record.
func RecordOf(a *article.Enriched, topic string, part int, offset int64) store.Record {
	payload, err := article.Encode(a)
	if err != nil {
		panic(err)
	}
	v, err := article.ParseVersion(a.Enrichment.Version)
	if err != nil {
		panic(err)
	}
	return store.Record{Article: a, Version: v, Payload: payload, Topic: topic, Part: part, Offset: offset}
}
