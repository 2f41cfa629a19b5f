// Package sentiment tags the tone of an article: a score in [-1, 1], a label
// and a confidence, from per-sentence scores of title and body.
//
// Each sentence is scored with a lexicon of the article's language (English,
// Dutch, German, French, Spanish) and rules for negation, intensifiers,
// hedges, contrast ("but", "maar", "aber", "mais", "pero"), concessive
// clauses, questions and scare quotes; the sum is squashed into [-1, 1]. The
// document score is a weighted mean of the sentence scores in which the title
// counts double, subheadings and quotations count less, and sentences that
// carry sentiment count more than neutral ones.
//
// Other languages get no sentiment unless the text shows clear evidence of a
// supported language (a misdetected short text); then the score comes with a
// low confidence. Skipped articles are counted by reason (Stats).
package sentiment

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/newsflow/newsflow/pkg/article"
)

// Config configures the tagger.
type Config struct {
	// Sentences keeps per-sentence scores in the output (those with a
	// non-zero score), so a sink can show the most negative passage.
	Sentences bool
	// Params overrides the tuned parameters (training uses it).
	Params *Params
	// ConceptsOnly leaves out the VADER lexicon and en.tsv, so English is
	// scored with the same lexicon as the other languages; evaluation uses
	// it to estimate how much the languages lose to lexicon coverage.
	ConceptsOnly bool
}

// Tagger scores the sentiment of articles. It is safe for concurrent use.
type Tagger struct {
	cfg    Config
	params Params
	langs  map[string]*language
	pool   sync.Pool
	stats  struct {
		tagged, fallback, unsupported, empty atomic.Int64
	}
}

// Reasons an article gets no sentiment, as counted by Stats.
const (
	ReasonUnsupported = "unsupported_language"
	ReasonEmpty       = "no_text"
)

// Stats counts tagged and skipped articles.
type Stats struct {
	Tagged int64 // tagged in their detected language
	// Fallback were tagged in a supported language other than the detected
	// one, with low confidence.
	Fallback int64
	Skipped  map[string]int64 // by reason
}

// New loads the lexicons and tuned parameters. Load once per process.
func New(cfg Config) (*Tagger, error) {
	p := cfg.Params
	if p == nil {
		lp, err := LoadParams()
		if err != nil {
			return nil, fmt.Errorf("loading sentiment parameters: %w", err)
		}
		p = &lp
	}
	concepts, err := Concepts()
	if err != nil {
		return nil, fmt.Errorf("loading sentiment concepts: %w", err)
	}
	rs := map[string]*rules{
		"en": englishRules(), "nl": dutchRules(), "de": germanRules(), "fr": frenchRules(), "es": spanishRules(),
	}
	lexs, err := buildLexicons(concepts, *p, rs, !cfg.ConceptsOnly)
	if err != nil {
		return nil, fmt.Errorf("loading sentiment lexicons: %w", err)
	}
	t := &Tagger{cfg: cfg, params: *p, langs: map[string]*language{}}
	for _, code := range Languages {
		t.langs[code] = &language{code: code, rules: rs[code], lex: lexs[code]}
	}
	t.pool.New = func() any { return newScratch() }
	return t, nil
}

// Name implements the enrich pipeline's Tagger.
func (t *Tagger) Name() string { return "sentiment" }

// Stats returns the counts so far.
func (t *Tagger) Stats() Stats {
	return Stats{
		Tagged:   t.stats.tagged.Load(),
		Fallback: t.stats.fallback.Load(),
		Skipped: map[string]int64{
			ReasonUnsupported: t.stats.unsupported.Load(),
			ReasonEmpty:       t.stats.empty.Load(),
		},
	}
}

// Weights of the parts of an article in the document score.
const (
	titleWeight      = 2.0
	subheadingWeight = 0.5
	// A sentence entirely in quotation marks counts this much; partly quoted
	// sentences in between.
	quotedWeight = 0.5
	// Neutral sentences count this much against 1 for a sentence with a
	// score of ±1, so a few charged sentences are not drowned by neutral ones.
	neutralWeight = 0.35
)

// Label thresholds on the document score.
const labelThreshold = 0.05

// Tag sets e.Sentiment, or leaves it nil when the language is unsupported
// and the text shows no clear evidence of a supported one.
func (t *Tagger) Tag(a *article.Raw, e *article.Enrichment) error {
	code, langConf := article.Undetermined, 0.0
	if e.Language != nil {
		code, langConf = e.Language.Code, e.Language.Confidence
	}
	sc := t.pool.Get().(*scratch)
	defer t.pool.Put(sc)

	l, ok := t.langs[code]
	fallback := false
	if !ok {
		guess, share := t.guessLanguage(sc, a)
		if guess == nil {
			if a.Title == "" && a.Body == "" {
				t.stats.empty.Add(1)
			} else {
				t.stats.unsupported.Add(1)
			}
			return nil
		}
		l, fallback = guess, true
		langConf = share * 0.5
	}
	s, any := t.score(sc, l, a)
	if !any {
		t.stats.empty.Add(1)
		return nil
	}
	if fallback {
		t.stats.fallback.Add(1)
		s.Confidence = round(math.Min(s.Confidence, 0.3) * math.Max(langConf, 0.2))
	} else {
		t.stats.tagged.Add(1)
		// A shaky language detection makes the lexicon less certain too.
		s.Confidence = round(s.Confidence * (0.6 + 0.4*clamp01(langConf)))
	}
	e.Sentiment = s
	return nil
}

// score computes the document sentiment of a in language l. any is false
// when the article has no sentences.
func (t *Tagger) score(sc *scratch, l *language, a *article.Raw) (*article.Sentiment, bool) {
	var (
		wsum, wtotal float64
		hits         int
		pos, neg     float64 // weighted evidence on each side
		sentences    []article.SentenceSentiment
		n            int
	)
	add := func(field, text string, s Sentence, base float64) {
		n++
		r := sc.scoreSentence(l, &t.params, text, s.Start, s.End)
		w := base * (1 - (1-quotedWeight)*sc.quotedShare())
		w *= neutralWeight + (1-neutralWeight)*math.Abs(r.score)
		wsum += w * r.score
		wtotal += w
		hits += r.hits
		if r.score > 0 {
			pos += w * r.score
		} else {
			neg -= w * r.score
		}
		if t.cfg.Sentences && math.Abs(r.score) >= 0.001 {
			sentences = append(sentences, article.SentenceSentiment{Field: field, Start: s.Start, End: s.End, Score: round(r.score)})
		}
	}
	var buf [32]Sentence
	for _, s := range appendSentences(buf[:0], a.Title) {
		add("title", a.Title, s, titleWeight)
	}
	for _, s := range appendSentences(buf[:0], a.Body) {
		w := 1.0
		if s.Subheading {
			w = subheadingWeight
		}
		add("body", a.Body, s, w)
	}
	if n == 0 {
		return nil, false
	}
	score := 0.0
	if wtotal > 0 {
		score = wsum / wtotal
	}
	out := &article.Sentiment{Score: round(clamp(score)), Label: label(score), Sentences: sentences}
	out.Confidence = confidence(score, hits, n, pos, neg)
	return out, true
}

// confidence grows with the number of sentiment-bearing words and with the
// agreement between positive and negative evidence. A neutral label with no
// evidence at all is moderately confident: nothing charged was found.
func confidence(score float64, hits, sentences int, pos, neg float64) float64 {
	evidence := 1 - math.Exp(-float64(hits)/4)
	if hits == 0 {
		return 0.5
	}
	agreement := 1.0
	if pos+neg > 0 {
		agreement = math.Abs(pos-neg) / (pos + neg)
	}
	if label(score) == article.Neutral {
		// Neutral from balanced evidence: as sure as the balance is.
		return 0.3 + 0.4*(1-agreement)*evidence
	}
	strength := math.Min(1, math.Abs(score)/0.3)
	return 0.25 + 0.7*evidence*(0.5+0.5*agreement)*(0.5+0.5*strength)
}

func label(score float64) string {
	switch {
	case score >= labelThreshold:
		return article.Positive
	case score <= -labelThreshold:
		return article.Negative
	}
	return article.Neutral
}

// quotedShare is the share of the last scored sentence's words inside
// quotation marks.
func (sc *scratch) quotedShare() float64 {
	words, quoted := 0, 0
	for i := range sc.toks {
		if sc.toks[i].word() {
			words++
			if sc.toks[i].quoted {
				quoted++
			}
		}
	}
	if words == 0 {
		return 0
	}
	return float64(quoted) / float64(words)
}

// guessLanguage looks for clear evidence of a supported language in an
// article whose detected language is not supported: the share of its words
// that are function words or lexicon entries of one language, well ahead of
// the others. It returns nil without such evidence.
func (t *Tagger) guessLanguage(sc *scratch, a *article.Raw) (*language, float64) {
	text := a.Title + "\n" + a.Body
	if len(text) > 4000 {
		text = text[:4000]
	}
	var best, second float64
	var bestLang *language
	for _, code := range Languages {
		l := t.langs[code]
		sc.tokenize(l, text, 0, len(text))
		words, known := 0, 0
		for i := range sc.toks {
			tk := &sc.toks[i]
			if !tk.word() {
				continue
			}
			words++
			if _, ok := l.rules.words[string(sc.norm[tk.ns:tk.ne])]; ok || markers[code][string(sc.norm[tk.ns:tk.ne])] {
				known++
			}
		}
		if words < 3 {
			return nil, 0
		}
		share := float64(known) / float64(words)
		if share > best {
			best, second, bestLang = share, best, l
		} else if share > second {
			second = share
		}
	}
	if bestLang == nil || best < 0.15 || best < 2*second {
		return nil, 0
	}
	return bestLang, best
}

// markers are frequent words that tell the supported languages apart.
var markers = map[string]map[string]bool{
	"en": set("the of and to in is that for it with as was on are be this have by from they which"),
	"nl": set("de het een van en in is dat op te zijn voor met die niet aan er ook als bij door wordt naar"),
	"de": set("der die das und ist nicht ein eine zu den von mit sich des auf für im dem auch es wird bei"),
	"fr": set("le la les de des et est un une du en que qui dans pour pas sur au avec il elle ce sont par"),
	"es": set("el la los las de del y en que es un una por con para se su al lo como más pero sus fue"),
}

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

func clamp(x float64) float64 { return math.Max(-1, math.Min(1, x)) }

func clamp01(x float64) float64 { return math.Max(0, math.Min(1, x)) }

func round(f float64) float64 { return math.Round(f*1000) / 1000 }
