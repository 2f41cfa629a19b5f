package sentiment

import (
	"bufio"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/jonreiter/govader/data"
)

// The lexicons are the project's own work: concepts.txt holds one valence per
// concept with its words in every supported language; <lang>.tsv adds words
// of one language. English also starts from the VADER lexicon that ships in
// the govader module. tuned.tsv, written by cmd/trainsentiment, adjusts
// concept valences and the scoring parameters.
//
//go:embed lexicon/*.tsv lexicon/*.txt
var lexiconFS embed.FS

// Languages the tagger has lexicons and rules for, in concepts.tsv column order.
var Languages = []string{"en", "nl", "de", "fr", "es"}

// lexicon maps words of one language to valences on the VADER scale (-4..4).
type lexicon struct {
	words map[string]float32
	// phrases are two-word entries keyed "first second".
	phrases map[string]float32
	// stems maps snowball stems of the words to their mean valence, for
	// inflected forms the lexicon does not list.
	stems map[string]float32
	// exactOnly words (written "=word" in concepts.txt) are not stemmed:
	// their stems belong to unrelated words.
	exactOnly map[string]bool
	// heads are the words (written "word*" in concepts.txt) that keep their
	// valence as the last part of a compound: German and Dutch write
	// "Wirtschaftskrise" as one word. Only marked words, since short common
	// endings would match everywhere ("gisteren" is no "eren").
	heads map[string]float32
}

// Concept is one row of concepts.tsv.
type Concept struct {
	// Key names the concept in tuned.tsv: its first English word (or first
	// word in any language when it has no English one).
	Key     string
	Line    int
	Valence float64
	Words   [][]string // per language in Languages order
}

// Concepts parses concepts.txt: per line "valence ; en ; nl ; de ; fr ; es",
// each language a |-separated list of words or two-word phrases ("-" for
// none); "#" starts a comment line.
func Concepts() ([]Concept, error) {
	data, err := lexiconFS.ReadFile("lexicon/concepts.txt")
	if err != nil {
		return nil, err
	}
	var out []Concept
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || text[0] == '#' {
			continue
		}
		cols := strings.Split(text, ";")
		if len(cols) != 1+len(Languages) {
			return nil, fmt.Errorf("concepts.txt:%d: %d columns, want %d", line, len(cols), 1+len(Languages))
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(cols[0]), 64)
		if err != nil || v < -4 || v > 4 {
			return nil, fmt.Errorf("concepts.txt:%d: bad valence %q", line, cols[0])
		}
		c := Concept{Line: line, Valence: v, Words: make([][]string, len(Languages))}
		for i, cell := range cols[1:] {
			for _, w := range strings.Split(cell, "|") {
				w = strings.TrimSpace(w)
				if w == "" || w == "-" {
					continue
				}
				c.Words[i] = append(c.Words[i], strings.ToLower(w))
			}
		}
		for _, ws := range c.Words {
			if len(ws) > 0 {
				c.Key = strings.TrimSuffix(strings.TrimPrefix(ws[0], "="), "*")
				break
			}
		}
		if c.Key == "" {
			return nil, fmt.Errorf("concepts.txt:%d: no words", line)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// Params are the scoring parameters tuned by cmd/trainsentiment.
type Params struct {
	Alpha      float64 // normalisation: s / sqrt(s*s + Alpha)
	NegatePos  float64 // factor on a negated positive word
	NegateNeg  float64 // factor on a negated negative word
	PosScale   float64 // factor on positive words
	NegScale   float64 // factor on negative words
	BeforeBut  float64 // factor on words before a contrast word
	AfterBut   float64 // factor on words after a contrast word
	Concession float64 // factor on a concessive clause
	Question   float64 // added to the raw sum of a question
	ExcessPos  float64 // factor on a positive word after "too"
	QuoteShort float64 // factor on words in short quotations (scare quotes)
	// NegatorValence and HedgeValence are the tone of negation and hedging
	// themselves: in opinion writing both lean critical.
	NegatorValence float64
	HedgeValence   float64
	// ObligationValence is the tone of "should" and "must".
	ObligationValence float64
	// Reverse is the factor on a word after a reverser ("reduce crime").
	Reverse float64
	// LengthNorm divides the raw sum by words^LengthNorm, so long sentences
	// do not look more charged just for having more words.
	LengthNorm   float64
	ConceptDelta map[string]float64
}

// DefaultParams are the parameters before tuning.
func DefaultParams() Params {
	return Params{
		Alpha: 15, NegatePos: -0.74, NegateNeg: -0.5, PosScale: 1, NegScale: 1,
		BeforeBut: 0.5, AfterBut: 1.5, Concession: 0.5,
		ExcessPos: -0.5, QuoteShort: 0.6, Reverse: -0.5,
	}
}

// LoadParams reads tuned.tsv: "param <name> <value>" and
// "concept <key> <delta>" lines over DefaultParams.
func LoadParams() (Params, error) {
	p := DefaultParams()
	data, err := lexiconFS.ReadFile("lexicon/tuned.tsv")
	if err != nil {
		if isNotExist(err) {
			return p, nil
		}
		return p, err
	}
	return ParseParams(string(data))
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// ParseParams parses the tuned.tsv format over DefaultParams.
func ParseParams(data string) (Params, error) {
	p := DefaultParams()
	p.ConceptDelta = map[string]float64{}
	fields := p.fields()
	for i, line := range strings.Split(data, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			return p, fmt.Errorf("tuned.tsv:%d: want 3 columns", i+1)
		}
		v, err := strconv.ParseFloat(cols[2], 64)
		if err != nil {
			return p, fmt.Errorf("tuned.tsv:%d: %w", i+1, err)
		}
		switch cols[0] {
		case "param":
			f, ok := fields[cols[1]]
			if !ok {
				return p, fmt.Errorf("tuned.tsv:%d: unknown parameter %q", i+1, cols[1])
			}
			*f = v
		case "concept":
			p.ConceptDelta[cols[1]] = v
		default:
			return p, fmt.Errorf("tuned.tsv:%d: unknown kind %q", i+1, cols[0])
		}
	}
	return p, nil
}

// fields names the scalar parameters, in the order Format writes them.
func (p *Params) fields() map[string]*float64 {
	return map[string]*float64{
		"alpha": &p.Alpha, "negate_pos": &p.NegatePos, "negate_neg": &p.NegateNeg,
		"pos_scale": &p.PosScale, "neg_scale": &p.NegScale, "before_but": &p.BeforeBut,
		"after_but": &p.AfterBut, "concession": &p.Concession, "question": &p.Question,
		"excess_pos": &p.ExcessPos, "quote_short": &p.QuoteShort,
		"negator_valence": &p.NegatorValence, "hedge_valence": &p.HedgeValence,
		"reverse": &p.Reverse, "obligation_valence": &p.ObligationValence, "length_norm": &p.LengthNorm,
	}
}

// ParamNames lists the scalar parameters in a stable order.
var ParamNames = []string{"alpha", "negate_pos", "negate_neg", "pos_scale", "neg_scale", "before_but", "after_but", "concession", "question", "excess_pos", "quote_short", "negator_valence", "hedge_valence", "reverse", "length_norm", "obligation_valence"}

// Field returns a pointer to the named scalar parameter.
func (p *Params) Field(name string) *float64 { return p.fields()[name] }

// buildLexicons makes the lexicon of every supported language.
func buildLexicons(concepts []Concept, p Params, rs map[string]*rules, languageFiles bool) (map[string]*lexicon, error) {
	out := map[string]*lexicon{}
	for _, lang := range Languages {
		out[lang] = &lexicon{words: map[string]float32{}, phrases: map[string]float32{}, stems: map[string]float32{}, exactOnly: map[string]bool{}, heads: map[string]float32{}}
	}
	if languageFiles {
		if err := loadLanguageFiles(out, p); err != nil {
			return nil, err
		}
	}
	// Concepts come last: they override the language files and VADER.
	for _, c := range concepts {
		v := c.Valence + p.ConceptDelta[c.Key]
		for i, words := range c.Words {
			for _, w := range words {
				lx := out[Languages[i]]
				if exact, ok := strings.CutPrefix(w, "="); ok {
					w = exact
					lx.exactOnly[w] = true
				}
				if head, ok := strings.CutSuffix(w, "*"); ok {
					w = head
					lx.heads[w] = float32(v)
				}
				lx.put(w, float32(v))
			}
		}
	}
	for lang, lx := range out {
		lx.buildStems(rs[lang])
	}
	return out, nil
}

// loadLanguageFiles adds the VADER lexicon to English and each <lang>.tsv to
// its language.
func loadLanguageFiles(out map[string]*lexicon, p Params) error {
	en := out["en"]
	vader, err := data.Asset("rawdata/vaderLexicon.txt")
	if err != nil {
		return fmt.Errorf("reading the VADER lexicon: %w", err)
	}
	for _, line := range strings.Split(string(vader), "\n") {
		cols := strings.SplitN(line, "\t", 3)
		if len(cols) < 2 || !isWord(cols[0]) {
			continue
		}
		if v, err := strconv.ParseFloat(cols[1], 64); err == nil {
			en.words[cols[0]] = float32(v)
		}
	}
	for _, lang := range Languages {
		data, err := lexiconFS.ReadFile("lexicon/" + lang + ".tsv")
		if err != nil {
			if isNotExist(err) {
				continue
			}
			return err
		}
		lx := out[lang]
		for i, line := range strings.Split(string(data), "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			w, vs, ok := strings.Cut(line, "\t")
			v, err := strconv.ParseFloat(vs, 64)
			if !ok || err != nil || v < -4 || v > 4 {
				return fmt.Errorf("%s.tsv:%d: want word<TAB>valence in [-4,4]", lang, i+1)
			}
			lx.put(strings.ToLower(w), float32(v))
		}
	}
	// Tuned English-only words ("en:<word>") adjust VADER and en.tsv entries.
	for k, d := range p.ConceptDelta {
		if w, ok := strings.CutPrefix(k, "en:"); ok {
			if v, ok := en.words[w]; ok {
				en.words[w] = v + float32(d)
			}
		}
	}
	return nil
}

func (lx *lexicon) put(w string, v float32) {
	w = strings.ReplaceAll(w, "_", " ")
	if strings.Contains(w, " ") {
		lx.phrases[w] = v
		return
	}
	lx.words[w] = v
}

func (lx *lexicon) buildStems(r *rules) {
	sum := map[string]float32{}
	count := map[string]int{}
	env := snowballstem.NewEnv("")
	for w, v := range lx.words {
		// Short words and short stems collide with unrelated words
		// (Spanish "paro" and "para" share the stem "par"); a four-letter
		// word counts only as its own stem ("fout" for "fouten").
		n := utf8.RuneCountInString(w)
		if n < 4 {
			continue
		}
		if _, ok := r.words[w]; ok {
			continue
		}
		if lx.exactOnly[w] {
			continue
		}
		env.SetCurrent(w)
		r.stem(env)
		s := env.Current()
		if !stemUsable(w, s) || n == 4 && s != w {
			continue
		}
		sum[s] += v
		count[s]++
	}
	for s, v := range sum {
		mean := v / float32(count[s])
		if mean > -0.3 && mean < 0.3 {
			continue // forms that disagree cancel out
		}
		lx.stems[s] = mean
	}
}

// stemUsable reports whether a word's stem is safe to match on: at least
// four letters and most of the word. Stemmers also strip derivational
// endings, and those stems collide across parts of speech (Spanish
// "generoso" and "generación" share "gener", "unidad" and "unidos" "unid").
func stemUsable(word, stem string) bool {
	n := utf8.RuneCountInString(stem)
	return n >= 4 && float64(n) >= 0.7*float64(utf8.RuneCountInString(word))
}

// isWord keeps VADER entries that are words, not emoticons.
func isWord(w string) bool {
	letters := 0
	for _, r := range w {
		switch {
		case unicode.IsLetter(r):
			letters++
		case r == '\'' || r == '-':
		default:
			return false
		}
	}
	return letters >= 2
}
