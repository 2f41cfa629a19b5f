// Package entities tags named entities (PER, ORG, LOC, MISC) in article
// titles and bodies with compact linear-chain models trained in this
// repository (cmd/trainentities) from the corpora in shared/data/ner: one
// model for each of en, nl, de, fr, es and a multilingual one ("xx") for
// every other language.
package entities

import (
	"embed"
	"fmt"
	"io/fs"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/services/enrich/internal/date"
)

//go:embed models
var embedded embed.FS

// Fallback is the multilingual model used for languages without their own.
const Fallback = "xx"

// Config configures the tagger.
type Config struct {
	// Models holds the model files (name.ner.gz); nil means the embedded ones.
	Models fs.FS
	// Replace holds model files that take the place of Models' files of the
	// same name, or add languages (nil: none).
	Replace fs.FS
	// Fallback names the model for other languages ("" disables tagging them).
	Fallback string
	// ForeignConfidence scales the confidence of entities found in a
	// language without its own model.
	ForeignConfidence float64
}

func (c *Config) setDefaults() {
	if c.Models == nil {
		sub, _ := fs.Sub(embedded, "models")
		c.Models = sub
	}
	if c.ForeignConfidence == 0 {
		c.ForeignConfidence = 0.6
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.ForeignConfidence < 0 || c.ForeignConfidence > 1 {
		return fmt.Errorf("foreign confidence %v not in [0, 1]", c.ForeignConfidence)
	}
	return nil
}

// DefaultConfig tags with the embedded models and the multilingual fallback.
func DefaultConfig() Config { return Config{Fallback: Fallback} }

type lazyModel struct {
	once  sync.Once
	name  string
	m     *Model
	err   error
	files fs.FS
}

func (l *lazyModel) get() (*Model, error) {
	l.once.Do(func() {
		data, err := fs.ReadFile(l.files, l.name+".ner.gz")
		if err != nil {
			l.err = fmt.Errorf("reading entity model %s: %w", l.name, err)
			return
		}
		l.m, l.err = LoadModel(data)
		if l.err != nil {
			l.err = fmt.Errorf("loading entity model %s: %w", l.name, l.err)
		}
	})
	return l.m, l.err
}

// Tagger finds named entities. It is safe for concurrent use; models load
// on first use of their language (or all at once with Load).
type Tagger struct {
	cfg    Config
	models map[string]*lazyModel
	pool   sync.Pool
}

// New builds a tagger over the model files in cfg.Models.
func New(cfg Config) (*Tagger, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tagger{cfg: cfg, models: map[string]*lazyModel{}}
	for _, files := range []fs.FS{cfg.Models, cfg.Replace} {
		if files == nil {
			continue
		}
		entries, err := fs.ReadDir(files, ".")
		if err != nil {
			return nil, fmt.Errorf("listing entity models: %w", err)
		}
		for _, e := range entries {
			if name, ok := strings.CutSuffix(e.Name(), ".ner.gz"); ok {
				t.models[name] = &lazyModel{name: name, files: files}
			}
		}
	}
	if cfg.Fallback != "" && t.models[cfg.Fallback] == nil {
		return nil, fmt.Errorf("entity fallback model %q not found", cfg.Fallback)
	}
	t.pool.New = func() any { return &state{news: true} }
	return t, nil
}

// Load loads every model now instead of on first use.
func (t *Tagger) Load() error {
	for _, name := range t.Languages() {
		if _, err := t.models[name].get(); err != nil {
			return err
		}
	}
	return nil
}

// Languages lists the models the tagger has.
func (t *Tagger) Languages() []string {
	var out []string
	for k := range t.models {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Name implements the enrich pipeline's Tagger.
func (t *Tagger) Name() string { return "entities" }

// Model returns the model used for a language and the confidence factor
// applied to its entities (1 for a language's own model); nil when the
// language is not tagged.
func (t *Tagger) Model(lang string) (*Model, float64, error) {
	if l, ok := t.models[lang]; ok && lang != Fallback {
		m, err := l.get()
		return m, 1, err
	}
	if t.cfg.Fallback == "" {
		return nil, 0, nil
	}
	m, err := t.models[t.cfg.Fallback].get()
	return m, t.cfg.ForeignConfidence, err
}

// Tag sets e.Entities for the title and body, in text order.
func (t *Tagger) Tag(a *article.Raw, e *article.Enrichment) error {
	lang := article.Undetermined
	if e.Language != nil && e.Language.Code != "" {
		lang = e.Language.Code
	}
	m, factor, err := t.Model(lang)
	if err != nil {
		return err
	}
	ents := []article.Entity{}
	if m != nil {
		st := t.pool.Get().(*state)
		st.article(m, lang, a.Title, a.Body)
		ents = st.tagField(m, lang, "title", a.Title, factor, ents)
		ents = st.tagField(m, lang, "body", a.Body, factor, ents)
		t.pool.Put(st)
		// What the date tagger (when it ran first) read as dates.
		var dates []article.Span
		if e.Date != nil {
			for _, d := range e.Date.Mentions {
				dates = append(dates, d.Span)
			}
		}
		ents = consistent(ents, a.Title, a.Body, dates)
	}
	e.Entities = ents
	return nil
}

// Mention is an entity found in a text: byte offsets, end exclusive.
type Mention struct {
	Start, End int
	Type       string
	Confidence float64
}

// TagText finds the entities of one text in the given language.
func (t *Tagger) TagText(text, lang string) ([]Mention, error) {
	m, factor, err := t.Model(lang)
	if err != nil || m == nil {
		return nil, err
	}
	st := t.pool.Get().(*state)
	defer t.pool.Put(st)
	st.article(m, lang, text)
	var out []Mention
	for _, e := range st.tagField(m, lang, "", text, factor, nil) {
		out = append(out, Mention{Start: e.Start, End: e.End, Type: e.Type, Confidence: e.Confidence})
	}
	return out, nil
}

// state holds one goroutine's buffers.
type state struct {
	// news: decoding follows how English news writes names (news.go);
	// false when training, which learns from the corpora as annotated.
	// cased: the document is written with capitals, most of its sentences
	// starting with one (news, not a lower-case chat or tweet).
	news, cased bool
	bars        []labelSet // labels English news does not give each word (newsBars)

	doc    map[uint64]uint8
	kbuf   []byte
	fz     featurizer
	toks   []Token
	starts []int
	words  []string
	feats  []uint64
	ends   []int32
	em     []float32
	labels []int
	back   []int8
	ex     []float64
	alpha  []float64
	beta   []float64
	post   []float64
	hist   map[uint64]histCounts
	// memo remembers, per model, the summed weights of each word's own
	// features (ownScores).
	memo map[*Model]map[string][numLabels]float32
	// s1all holds the first stage's labels of the article's sentences in
	// order (two-stage models), s1at the next one decodeNext reads.
	s1all []int
	s1at  int
}

// article records how the words of the texts are written across them, for
// the document-level features, and, for a two-stage model, how its first
// stage labels each word across them.
func (st *state) article(m *Model, lang string, texts ...string) {
	st.prepare(m, func(yield func([]string) bool) {
		for _, text := range texts {
			st.toks = appendTokens(st.toks[:0], text, lang)
			st.starts = appendSentences(st.starts[:0], text, st.toks)
			for s := 0; s+1 < len(st.starts); s++ {
				st.words = st.words[:0]
				for _, tk := range st.toks[st.starts[s]:st.starts[s+1]] {
					st.words = append(st.words, text[tk.Start:tk.End])
				}
				if len(st.words) > 0 && !yield(st.words) {
					return
				}
			}
		}
	})
}

// prepare readies the document-level features of one document from its
// sentences (each pass over sentences yields them in order): how its words
// are written and, for a two-stage model, the first stage's labels of every
// sentence in s1all and of every word in the history.
func (st *state) prepare(m *Model, sentences iter.Seq[[]string]) {
	if st.doc == nil {
		st.doc = map[uint64]uint8{}
	}
	clear(st.doc)
	st.fz.hist, st.fz.s1 = nil, nil
	st.s1all, st.s1at = st.s1all[:0], 0
	capital, opened := 0, 0
	for words := range sentences {
		st.kbuf = docCase(st.doc, st.kbuf, words)
		if c, ok := startsCapital(words); ok {
			opened++
			if c {
				capital++
			}
		}
	}
	st.cased = capital*10 >= opened*9
	st.fz.doc = st.doc
	if m.stage2 == nil {
		return
	}
	if st.hist == nil {
		st.hist = map[uint64]histCounts{}
	}
	clear(st.hist)
	for words := range sentences {
		labels, _ := st.decode(m, words, false)
		st.kbuf = addHistory(st.hist, st.kbuf, words, labels)
		st.s1all = append(st.s1all, labels...)
	}
	st.fz.hist = st.hist
}

// labelDoc labels the sentences of one document with both stages (the
// gold-token evaluation and the training folds).
func (st *state) labelDoc(m *Model, sents [][]string) [][]int {
	st.prepare(m, func(yield func([]string) bool) {
		for _, s := range sents {
			if len(s) > 0 && !yield(s) {
				return
			}
		}
	})
	out := make([][]int, len(sents))
	for i, s := range sents {
		if len(s) == 0 {
			continue
		}
		labels, _ := st.decodeNext(m, s, false)
		out[i] = slices.Clone(labels)
	}
	return out
}

// decodeNext labels the next sentence of the document prepare read: with
// the model, or with its second stage over the first stage's labels that
// prepare kept.
func (st *state) decodeNext(m *Model, words []string, marginals bool) ([]int, []float64) {
	if m.stage2 == nil {
		return st.decode(m, words, marginals)
	}
	st.fz.s1 = st.s1all[st.s1at : st.s1at+len(words)]
	st.s1at += len(words)
	labels, conf := st.decode(m.stage2, words, marginals)
	st.fz.s1 = nil
	return labels, conf
}

// decodeStacked labels one sentence on its own: with the first stage and,
// for a two-stage model, relabels it with the second.
func (st *state) decodeStacked(m *Model, words []string, marginals bool) ([]int, []float64) {
	st.cased, _ = startsCapital(words)
	if m.stage2 != nil {
		labels, _ := st.decode(m, words, false)
		st.s1all, st.s1at = append(st.s1all[:0], labels...), 0
	}
	return st.decodeNext(m, words, marginals)
}

// TagDocument labels the pre-tokenised sentences of one document (gold
// tokens, for evaluation), with the document-level features; it returns
// IOB2 tags.
func (t *Tagger) TagDocument(sents [][]string, lang string) ([][]string, error) {
	m, _, err := t.Model(lang)
	out := make([][]string, len(sents))
	if err != nil || m == nil {
		for i, s := range sents {
			out[i] = make([]string, len(s))
		}
		return out, err
	}
	st := t.pool.Get().(*state)
	defer t.pool.Put(st)
	for i, labels := range st.labelDoc(m, sents) {
		out[i] = make([]string, len(sents[i]))
		for j, l := range labels {
			out[i][j] = iob2Name(l)
		}
	}
	return out, nil
}

func (st *state) tagField(m *Model, lang, field, text string, factor float64, out []article.Entity) []article.Entity {
	if text == "" {
		return out
	}
	st.toks = appendTokens(st.toks[:0], text, lang)
	st.starts = appendSentences(st.starts[:0], text, st.toks)
	for s := 0; s+1 < len(st.starts); s++ {
		toks := st.toks[st.starts[s]:st.starts[s+1]]
		if len(toks) == 0 {
			continue
		}
		st.words = st.words[:0]
		for _, tk := range toks {
			st.words = append(st.words, text[tk.Start:tk.End])
		}
		labels, conf := st.decodeNext(m, st.words, true)
		spans := Spans(labels)
		if lang == "es" {
			// How CoNLL-2002's Spanish annotates clubs and quoted names.
			bracketedClubs(st.words, spans, &m.res)
			for i := range spans {
				spans[i] = withQuotes(st.words, spans[i])
			}
		}
		for _, sp := range spans {
			start, end := toks[sp.Start].Start, toks[sp.End-1].End
			if lowerCaseDrifts(m.Lang) && !nameLike(text[start:end]) {
				continue
			}
			if sp.End-sp.Start == 1 && date.IsWeekday(lang, text[start:end]) {
				// A day of the week alone is a date, not a name. The
				// English model took one written twice in an article
				// for MISC: its other occurrences, capitalised mid-
				// sentence, read like a name's.
				continue
			}
			c := 1.0
			for i := sp.Start; i < sp.End; i++ {
				c = math.Min(c, conf[i])
			}
			out = append(out, article.Entity{
				Span:       article.Span{Field: field, Start: start, End: end, Text: text[start:end]},
				Type:       Types[sp.Type],
				Confidence: math.Round(c*factor*1000) / 1000,
			})
		}
	}
	return out
}

// decode labels one sentence; with marginals it also returns the posterior
// of each chosen label when the sentence has a mention (nil otherwise).
func (st *state) decode(m *Model, words []string, marginals bool) ([]int, []float64) {
	n := len(words)
	st.fz.res = &m.res
	st.feats, st.ends = st.fz.extract(words, st.feats[:0], st.ends[:0])
	st.em = slices.Grow(st.em[:0], n*numLabels)[:n*numLabels]
	memo := st.ownScores(m)
	marks := st.fz.own
	news := st.news && (st.cased || m.Lang == "en")
	switch {
	case !news:
	case !st.cased:
		st.bars = addressBars(words, st.bars) // English mostly in lower case: chat, tweets
	case m.Lang == "en":
		st.bars = newsBars(words, &m.res, st.doc, st.bars)
	default:
		st.bars = clubBars(words, st.bars)
	}
	b := int32(0)
	for i, w := range words {
		// The word's own features, then its context's: the sum is the same
		// whether the first part was remembered or not.
		feats, own := st.feats[b:st.ends[i]], marks[b:st.ends[i]]
		acc, ok := memo[w]
		if !ok {
			acc = [numLabels]float32{}
			m.addScores(&acc, feats, own, true)
			if len(memo) >= maxOwn {
				clear(memo)
			}
			memo[strings.Clone(w)] = acc
		}
		m.addScores(&acc, feats, own, false)
		if news {
			st.bars[i].apply(&acc)
		}
		copy(st.em[i*numLabels:(i+1)*numLabels], acc[:])
		b = st.ends[i]
	}
	st.labels = slices.Grow(st.labels[:0], n)[:n]
	st.back = slices.Grow(st.back[:0], n*numLabels)[:n*numLabels]
	m.viterbi(st.em, n, st.labels, st.back)
	// Posteriors are read only at mentions: a sentence without one (label
	// 0 throughout) needs no forward-backward.
	if !marginals || !slices.ContainsFunc(st.labels, func(l int) bool { return l != 0 }) {
		return st.labels, nil
	}
	st.ex = slices.Grow(st.ex[:0], n*numLabels)[:n*numLabels]
	st.alpha = slices.Grow(st.alpha[:0], n*numLabels)[:n*numLabels]
	st.beta = slices.Grow(st.beta[:0], n*numLabels)[:n*numLabels]
	st.post = slices.Grow(st.post[:0], n*numLabels)[:n*numLabels]
	m.marginals(st.em, n, st.ex, st.alpha, st.beta, st.post)
	conf := st.alpha[:n] // reuse: alpha is no longer needed
	for i, l := range st.labels {
		conf[i] = st.post[i*numLabels+l]
	}
	return st.labels, conf
}

// maxOwn bounds the words whose own scores a state remembers per model:
// enough for the common words of a language's news (a few MB per model).
const maxOwn = 1 << 14

// ownScores returns the state's memory of the summed weights of words' own
// features under m (the features extract marks in fz.own).
func (st *state) ownScores(m *Model) map[string][numLabels]float32 {
	memo := st.memo[m]
	if memo == nil {
		if st.memo == nil {
			st.memo = map[*Model]map[string][numLabels]float32{}
		}
		memo = make(map[string][numLabels]float32, 1024)
		st.memo[m] = memo
	}
	return memo
}

// TagWords labels pre-tokenised sentences (evaluation on gold tokens): it
// returns IOB2 label names.
func (t *Tagger) TagWords(words []string, lang string) ([]string, error) {
	m, _, err := t.Model(lang)
	if err != nil || m == nil || len(words) == 0 {
		return make([]string, len(words)), err
	}
	st := t.pool.Get().(*state)
	defer t.pool.Put(st)
	st.fz.doc = nil
	st.fz.hist = nil
	labels, _ := st.decodeStacked(m, words, false)
	out := make([]string, len(labels))
	for i, l := range labels {
		out[i] = iob2Name(l)
	}
	return out, nil
}

// Span is an entity over label positions [Start, End).
type Span struct {
	Start, End int
	Type       int
}

// Spans reads entities off a label sequence.
func Spans(labels []int) []Span {
	var out []Span
	for i := 0; i < len(labels); {
		l := labels[i]
		if l == 0 {
			i++
			continue
		}
		typ := labelType(l)
		j := i + 1
		if labelPart(l) == partB || labelPart(l) == partI {
			for j < len(labels) && labels[j] == label(typ, partI) {
				j++
			}
			if j < len(labels) && labels[j] == label(typ, partL) {
				j++
			}
		}
		out = append(out, Span{Start: i, End: j, Type: typ})
		i = j
	}
	return out
}

// withQuotes widens sp over the quotes directly around it, if it has them:
// Spanish names between quotes take them in, as CoNLL-2002's Spanish
// annotates them (" Antoñete ", " La vida es silbar "). 77 of the 79 such
// names of its development split do, 192 of the 467 of its training
// split, where the model learnt to leave them out.
func withQuotes(words []string, sp Span) Span {
	if sp.Start > 0 && sp.End < len(words) && isQuoteToken(words[sp.Start-1]) && isQuoteToken(words[sp.End]) {
		sp.Start--
		sp.End++
	}
	return sp
}

// lowerCaseDrifts says whether a model's lower-case mentions are dropped.
// The French model learnt only from corpora that do not annotate MISC (MISC
// left open there) and drifted to tagging frequent lower-case words as MISC
// (l', d'); the multilingual one learnt from them too. Other languages'
// lower-case mentions are kept: German "deutschen" (MISC) and "dpa" (ORG)
// are entities as CoNLL and GermEval annotate them.
func lowerCaseDrifts(lang string) bool { return lang == "fr" || lang == Fallback }

// nameLike says whether a mention is written like a name: with a capital
// letter or a digit somewhere.
func nameLike(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsUpper(r) || unicode.IsDigit(r) })
}
