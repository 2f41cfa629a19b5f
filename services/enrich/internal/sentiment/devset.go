package sentiment

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/newsflow/newsflow/pkg/article"
)

// Rated is one human-rated sentence of a development set: the format of the
// shared VADER data (id <TAB> mean rating -4..4 <TAB> text), used by the
// training and evaluation commands.
type Rated struct {
	ID     string
	Rating float64
	Text   string
}

// ReadRated parses a rated-sentence file.
func ReadRated(r io.Reader) ([]Rated, error) {
	var out []Rated
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if strings.TrimSpace(text) == "" || text[0] == '#' {
			continue
		}
		cols := strings.SplitN(text, "\t", 3)
		if len(cols) != 3 {
			return nil, fmt.Errorf("line %d: want id<TAB>rating<TAB>text", line)
		}
		v, err := strconv.ParseFloat(cols[1], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: rating: %w", line, err)
		}
		out = append(out, Rated{ID: cols[0], Rating: v, Text: cols[2]})
	}
	return out, sc.Err()
}

// HeldOut reports whether a sentence belongs to the held-out split: whole
// editorials (the id before "_") are held out, about 30% of them, by a hash
// so the split never changes.
func HeldOut(id string) bool {
	doc, _, _ := strings.Cut(id, "_")
	h := fnv.New32a()
	h.Write([]byte(doc))
	return h.Sum32()%10 < 3
}

// Pearson is the correlation of x and y (0 when either is constant).
func Pearson(x, y []float64) float64 {
	n := float64(len(x))
	if n == 0 || len(x) != len(y) {
		return 0
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}

// ScoreText scores a text as the body of an article in a supported
// language, for training and evaluation without the language tagger.
func (t *Tagger) ScoreText(lang, text string) (float64, error) {
	l, ok := t.langs[lang]
	if !ok {
		return 0, fmt.Errorf("unsupported language %q", lang)
	}
	sc := t.pool.Get().(*scratch)
	defer t.pool.Put(sc)
	s, ok := t.score(sc, l, &article.Raw{Body: text})
	if !ok {
		return 0, nil
	}
	return s.Score, nil
}

// WithParams returns a tagger sharing t's lexicons with other scalar
// parameters; concept deltas in p are ignored (they shape the lexicons,
// which New builds). Training uses it to tune the scalars quickly.
func (t *Tagger) WithParams(p Params) *Tagger {
	n := &Tagger{cfg: t.cfg, params: p, langs: t.langs}
	n.pool.New = func() any { return newScratch() }
	return n
}

// Params returns the parameters the tagger scores with.
func (t *Tagger) Params() Params { return t.params }

// SentenceTrace is how one sentence's raw sum was made: Extra plus, for each
// hit, its valence times Pos or Neg by the valence's sign.
type SentenceTrace struct {
	Hits  []Hit
	Extra float64
}

// Trace scores text as ScoreText does and reports the make-up of each
// sentence's sum, for training.
func (t *Tagger) Trace(lang, text string) ([]SentenceTrace, error) {
	l, ok := t.langs[lang]
	if !ok {
		return nil, fmt.Errorf("unsupported language %q", lang)
	}
	sc := newScratch()
	var out []SentenceTrace
	var cur *SentenceTrace
	sc.trace = func(h Hit) { cur.Hits = append(cur.Hits, h) }
	for _, s := range Split(text) {
		out = append(out, SentenceTrace{})
		cur = &out[len(out)-1]
		r := sc.scoreSentence(l, &t.params, text, s.Start, s.End)
		cur.Extra = r.extra
	}
	return out, nil
}
