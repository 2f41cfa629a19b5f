package entities

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
	"unicode"
)

// Sentence is a labelled training sentence.
type Sentence struct {
	Words  []string
	Labels []int // label indexes (FromIOB2)
	// Partial marks corpora without MISC annotation: an O there may be an
	// unannotated MISC, so training lets the model choose MISC on those tokens.
	Partial bool
	Weight  float32
	// Doc groups the sentences of one document (consecutive sentences with
	// the same Doc); the document-level features read the whole group.
	Doc int
}

// TrainConfig sets up one model's training.
type TrainConfig struct {
	Lang     string
	Epochs   int
	Seed     uint64
	MinCount int     // drop features seen fewer times
	Prune    float64 // drop features whose largest weight is below this fraction of the 99th percentile
	// CaseText is the text the case table is counted from (the model's own
	// language); nil means the training sentences.
	CaseText  [][]string
	Clusters  map[uint64]uint16 // word clusters from ClusterVectors
	Gazetteer map[uint64]uint8
	Log       io.Writer
	// Algorithm is "perceptron" (averaged structured perceptron, the
	// default) or "crf" (linear-chain CRF by SGD with L2).
	Algorithm string
	L2        float64 // CRF: L2 penalty per sentence
	Clip      float64 // clip weights at this quantile of their magnitudes (0: none)
	Rate      float64 // CRF: initial learning rate
	// Stack, when 2 or more, adds a second stage that reads the first
	// stage's labels, trained on first-stage labels jack-knifed over this
	// many folds of the documents.
	Stack int
	// Mix, when 2 or more, averages the weights of this many perceptrons
	// trained on differently shuffled epochs (parameter mixing).
	Mix int
	// Slots, when set, lets Train run a model's independent parts at once
	// (its stacking folds and first stage, the perceptrons of a mix), each
	// holding one slot while it works; models trained side by side share
	// it, so its capacity bounds the cores they use together. The model is
	// the same either way. Nil trains one part after another.
	Slots chan struct{}
}

// Train trains an averaged structured perceptron over IOB2 labels and
// returns the quantised model.
func Train(cfg TrainConfig, sents []Sentence) (*Model, error) {
	if cfg.Epochs <= 0 {
		cfg.Epochs = 10
	}
	if cfg.MinCount <= 0 {
		cfg.MinCount = 1
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, "[%s] "+format+"\n", append([]any{cfg.Lang}, args...)...)
		}
	}
	start := time.Now()
	caseText := cfg.CaseText
	if caseText == nil {
		for _, s := range sents {
			caseText = append(caseText, s.Words)
		}
	}
	res := resources{caseTable: BuildCaseTable(caseText), clusters: cfg.Clusters, clusterBits: clusterDepth, gazetteer: cfg.Gazetteer}
	if cfg.Stack < 2 {
		m, err := trainStage(cfg, sents, res, nil, logf)
		if err == nil {
			logf("trained in %s", time.Since(start).Round(time.Millisecond))
		}
		return m, err
	}
	// Stacking: the second stage learns from first-stage labels of text the
	// first stage did not train on (jack-knifed over documents), so it
	// learns how far to trust them on unseen text. The folds and the first
	// stage do not depend on each other.
	s1 := make([][]int, len(sents))
	var m1 *Model
	errs := make([]error, cfg.Stack+1)
	parallel(cfg.Slots, cfg.Stack+1, func(k int) {
		if k == cfg.Stack {
			m1, errs[k] = trainStage(cfg, sents, res, nil, logf)
			return
		}
		errs[k] = trainFold(cfg, sents, res, k, s1, logf)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	m2, err := trainStage(cfg, sents, res, s1, logf)
	if err != nil {
		return nil, err
	}
	m1.stage2 = m2
	logf("trained both stages in %s", time.Since(start).Round(time.Millisecond))
	return m1, nil
}

// trainFold trains a first stage without fold k of the documents and
// labels that fold with it into s1.
func trainFold(cfg TrainConfig, sents []Sentence, res resources, k int, s1 [][]int, logf func(string, ...any)) error {
	var train, held []int
	for i, s := range sents {
		if s.Doc%cfg.Stack == k {
			held = append(held, i)
		} else {
			train = append(train, i)
		}
	}
	sub := make([]Sentence, len(train))
	for j, i := range train {
		sub[j] = sents[i]
	}
	mk, err := trainStage(cfg, sub, res, nil, nil)
	if err != nil {
		return err
	}
	defer take(cfg.Slots)()
	st := &state{}
	for a := 0; a < len(held); {
		b := a + 1
		for b < len(held) && sents[held[b]].Doc == sents[held[a]].Doc {
			b++
		}
		words := make([][]string, b-a)
		for j := a; j < b; j++ {
			words[j-a] = sents[held[j]].Words
		}
		for j, l := range st.labelDoc(mk, words) {
			s1[held[a+j]] = l
		}
		a = b
	}
	logf("fold %d of %d: %d sentences held out", k+1, cfg.Stack, len(held))
	return nil
}

// parallel calls f(0) to f(n-1): at once when slots is set (each call
// takes its own slots), one after another when not.
func parallel(slots chan struct{}, n int, f func(k int)) {
	if slots == nil {
		for k := range n {
			f(k)
		}
		return
	}
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() { f(k) })
	}
	wg.Wait()
}

// take holds one of slots, if set, until the returned func is called.
func take(slots chan struct{}) (release func()) {
	if slots == nil {
		return func() {}
	}
	slots <- struct{}{}
	return func() { <-slots }
}

// trainStage trains one stage: the first (s1 nil) or the second over the
// first stage's labels s1 of each sentence.
func trainStage(cfg TrainConfig, sents []Sentence, res resources, s1 [][]int, logf func(string, ...any)) (*Model, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	start := time.Now()
	release := take(cfg.Slots)
	fz := newFeaturizer(&res)

	// Featurise once; keep per-token 32-bit keys.
	type featSent struct {
		feats []uint32
		ends  []int32
	}
	fs := make([]featSent, len(sents))
	counts := map[uint32]int32{}
	var hbuf []uint64
	var ebuf []int32
	var kbuf []byte
	for i, s := range sents {
		if i == 0 || s.Doc != sents[i-1].Doc {
			fz.doc = map[uint64]uint8{}
			if s1 != nil {
				fz.hist = map[uint64]histCounts{}
			}
			for j := i; j < len(sents) && sents[j].Doc == s.Doc; j++ {
				kbuf = docCase(fz.doc, kbuf, sents[j].Words)
				if s1 != nil {
					kbuf = addHistory(fz.hist, kbuf, sents[j].Words, s1[j])
				}
			}
		}
		if s1 != nil {
			fz.s1 = s1[i]
		}
		hbuf, ebuf = fz.extract(s.Words, hbuf[:0], ebuf[:0])
		keys := make([]uint32, len(hbuf))
		for j, h := range hbuf {
			keys[j] = featureKey(h)
			counts[keys[j]]++
		}
		fs[i] = featSent{feats: keys, ends: slices.Clone(ebuf)}
	}
	type keyCount struct {
		key   uint32
		count int32
	}
	var kept []keyCount
	for k, c := range counts {
		if int(c) >= cfg.MinCount {
			kept = append(kept, keyCount{k, c})
		}
	}
	// Ids go to features by how often they occur, most first, so the
	// weight rows training reads most share cache lines; the model is
	// written in key order all the same (idOf maps a key's place in keys
	// to its id).
	slices.SortFunc(kept, func(a, b keyCount) int { return cmp.Compare(a.key, b.key) })
	byFreq := make([]int32, len(kept)) // places in kept, most frequent first
	for i := range byFreq {
		byFreq[i] = int32(i)
	}
	slices.SortStableFunc(byFreq, func(a, b int32) int { return cmp.Compare(kept[b].count, kept[a].count) })
	keys := make([]uint32, len(kept))
	idOf := make([]int32, len(kept))
	ids := make(map[uint32]int32, len(kept))
	for id, i := range byFreq {
		keys[i], idOf[i], ids[kept[i].key] = kept[i].key, int32(id), int32(id)
	}
	ds := make([]denseSent, len(sents))
	tokens := 0
	for i := range fs {
		out := make([]int32, 0, len(fs[i].feats))
		ends := make([]int32, len(fs[i].ends))
		b := 0
		for t, e := range fs[i].ends {
			for _, k := range fs[i].feats[b:e] {
				if id, ok := ids[k]; ok {
					out = append(out, id)
				}
			}
			ends[t] = int32(len(out))
			b = int(e)
		}
		ds[i] = denseSent{feats: out, ends: ends}
		fs[i] = featSent{}
		tokens += len(ends)
	}
	nf := len(keys)
	logf("%d sentences, %d tokens, %d features (min count %d), featurised in %s", len(sents), tokens, nf, cfg.MinCount, time.Since(start).Round(time.Millisecond))

	release()

	var w []float32
	var tw [numLabels + 1][numLabels]float32
	switch cfg.Algorithm {
	case "", "perceptron":
		w, tw = trainMixed(cfg, sents, ds, nf, logf)
	case "crf":
		release = take(cfg.Slots)
		w, tw = trainCRF(cfg, sents, ds, nf, logf)
		release()
	default:
		return nil, fmt.Errorf("unknown algorithm %q", cfg.Algorithm)
	}
	defer take(cfg.Slots)()
	m := &Model{Lang: cfg.Lang, res: res, trans: tw}
	// Clip the largest weights (the top 0.01%): a few features grow huge
	// late in training, and bounding them generalises better on the dev sets.
	if cfg.Clip > 0 && cfg.Clip < 1 {
		abs := make([]float32, 0, len(w))
		for _, x := range w {
			if x != 0 {
				abs = append(abs, float32(math.Abs(float64(x))))
			}
		}
		slices.Sort(abs)
		if len(abs) > 0 {
			c := abs[min(len(abs)-1, int(float64(len(abs))*cfg.Clip))]
			for i, x := range w {
				w[i] = max(-c, min(c, x))
			}
		}
	}
	// Quantise each feature's weights to int8 with a scale of its own; drop
	// the features whose largest weight is small against the typical one.
	rowMax := make([]float32, nf)
	var maxes []float32
	for f := range nf {
		for _, x := range w[f*numLabels : f*numLabels+numLabels] {
			rowMax[f] = max(rowMax[f], float32(math.Abs(float64(x))))
		}
		if rowMax[f] > 0 {
			maxes = append(maxes, rowMax[f])
		}
	}
	slices.Sort(maxes)
	threshold := float32(0)
	if len(maxes) > 0 {
		threshold = float32(cfg.Prune) * maxes[len(maxes)*99/100]
	}
	var outKeys []uint32
	var q []int8
	var scales []float32
	for i, k := range keys {
		f := int(idOf[i])
		if rowMax[f] == 0 || rowMax[f] < threshold {
			continue
		}
		scale := rowMax[f] / 127
		for _, x := range w[f*numLabels : f*numLabels+numLabels] {
			q = append(q, int8(math.Round(float64(x/scale))))
		}
		outKeys = append(outKeys, k)
		scales = append(scales, scale)
	}
	// Transitions are small in number: keep them as float32, in score units.
	m.buildTable(outKeys, q, scales)
	logf("kept %d of %d features, stage trained in %s", len(outKeys), nf, time.Since(start).Round(time.Millisecond))
	return m, nil
}

// trainMixed trains cfg.Mix averaged perceptrons (at least one), each on
// its own shuffles of the sentences, and returns the mean of their weights
// (parameter mixing): the shuffle order alone moves dev-set F1 by about a
// point, and the mean is steadier than any one of them.
func trainMixed(cfg TrainConfig, sents []Sentence, ds []denseSent, nf int, logf func(string, ...any)) ([]float32, [numLabels + 1][numLabels]float32) {
	mix := max(cfg.Mix, 1)
	ws := make([][]float32, mix)
	tws := make([][numLabels + 1][numLabels]float32, mix)
	parallel(cfg.Slots, mix, func(k int) {
		c := cfg
		c.Seed = mixSeed(cfg.Seed, k)
		defer take(cfg.Slots)()
		ws[k], tws[k] = trainPerceptron(c, sents, ds, nf, logf)
	})
	w, tw := ws[0], tws[0]
	if mix < 2 {
		return w, tw
	}
	// Summed in a fixed order, so the model does not depend on which
	// perceptron finished first.
	for k := 1; k < mix; k++ {
		for i := range w {
			w[i] += ws[k][i]
		}
		for p := range tw {
			for l := range tw[p] {
				tw[p][l] += tws[k][p][l]
			}
		}
		ws[k] = nil
	}
	inv := 1 / float32(mix)
	for i := range w {
		w[i] *= inv
	}
	for p := range tw {
		for l := range tw[p] {
			tw[p][l] *= inv
		}
	}
	return w, tw
}

// mixSeed is the shuffle seed of the k-th perceptron of a mix (k = 0 is
// the configured seed).
func mixSeed(seed uint64, k int) uint64 { return seed + uint64(k)*0x9e3779b97f4a7c15 }

// constrainedViterbi decodes with per-token label masks.
func constrainedViterbi(tr *[numLabels + 1][numLabels]float32, em []float32, n int, masks []uint32, out []int, back []int8) {
	var cur, next [numLabels]float32
	for l := range numLabels {
		cur[l] = negInf
		if allowed(startRow, l) && masks[0]&(1<<l) != 0 {
			cur[l] = tr[startRow][l] + em[l]
		}
	}
	for i := 1; i < n; i++ {
		e := (*[numLabels]float32)(em[i*numLabels:])
		bk := (*[numLabels]int8)(back[i*numLabels:])
		for l := range numLabels {
			best, arg := negInf, 0
			if masks[i]&(1<<l) != 0 {
				for _, p := range preds[l] {
					if cur[p] <= negInf {
						continue
					}
					if v := cur[p] + tr[p][l]; v > best {
						best, arg = v, p
					}
				}
			}
			if best > negInf {
				next[l] = best + e[l]
			} else {
				next[l] = negInf
			}
			bk[l] = int8(arg)
		}
		cur = next
	}
	best, arg := negInf, 0
	for l := range numLabels {
		if allowedEnd(l) && cur[l] > best {
			best, arg = cur[l], l
		}
	}
	out[n-1] = arg
	for i := n - 1; i > 0; i-- {
		arg = int(back[i*numLabels+arg])
		out[i-1] = arg
	}
}

// BuildCaseTable counts how often each word is written in lower case versus
// capitalised away from the sentence start. Words seen fewer than three
// times are left out, so rare names look the same in training as unseen
// names do at run time.
func BuildCaseTable(sents [][]string) map[uint64]uint8 {
	type cnt struct{ lower, upper int32 }
	counts := map[uint64]cnt{}
	var buf []byte
	for _, s := range sents {
		for i, w := range s {
			var k uint64
			k, buf = lowerKey(buf, w)
			c := counts[k]
			hasUpper, hasLetter := false, false
			for _, r := range w {
				if unicode.IsUpper(r) {
					hasUpper = true
				}
				if unicode.IsLetter(r) {
					hasLetter = true
				}
			}
			if !hasLetter {
				continue
			}
			if !hasUpper {
				c.lower++
			} else if i > 0 {
				c.upper++
			} else {
				continue
			}
			counts[k] = c
		}
	}
	t := make(map[uint64]uint8)
	for k, c := range counts {
		n := c.lower + c.upper
		if n < 3 {
			continue
		}
		r := float64(c.lower) / float64(n)
		var b uint8
		switch {
		case c.lower == 0:
			b = caseNeverLower
		case r < 0.1:
			b = caseRarelyLower
		case r < 0.6:
			b = caseOftenLower
		default:
			b = caseMostlyLower
		}
		t[k] = b
	}
	return t
}

// denseSent is a training sentence's features as dense ids, with the end
// offset of each token's features.
type denseSent struct {
	feats []int32
	ends  []int32
}

// trainPerceptron runs the averaged structured perceptron.
func trainPerceptron(cfg TrainConfig, sents []Sentence, ds []denseSent, nf int, logf func(string, ...any)) ([]float32, [numLabels + 1][numLabels]float32) {
	// Averaged perceptron: w is the current weight, u accumulates c*delta, so
	// the average is w - u/c.
	w := make([]float32, nf*numLabels)
	u := make([]float32, nf*numLabels)
	var tw, tu [numLabels + 1][numLabels]float32
	c := float32(1)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	order := make([]int, len(sents))
	for i := range order {
		order[i] = i
	}
	var em []float32
	var pred, gold []int
	var back []int8
	var masks []uint32
	for epoch := range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		errs, toks := 0, 0
		for _, si := range order {
			s := &sents[si]
			d := &ds[si]
			n := len(s.Words)
			if n == 0 {
				continue
			}
			em = slices.Grow(em[:0], n*numLabels)[:n*numLabels]
			clear(em)
			b := int32(0)
			for t := range n {
				e := (*[numLabels]float32)(em[t*numLabels:])
				for _, f := range d.feats[b:d.ends[t]] {
					row := (*[numLabels]float32)(w[int(f)*numLabels:])
					for l := range numLabels {
						e[l] += row[l]
					}
				}
				b = d.ends[t]
			}
			pred = slices.Grow(pred[:0], n)[:n]
			gold = slices.Grow(gold[:0], n)[:n]
			back = slices.Grow(back[:0], n*numLabels)[:n*numLabels]
			masks = slices.Grow(masks[:0], n)[:n]
			for t := range n {
				masks[t] = 1<<numLabels - 1
			}
			constrainedViterbi(&tw, em, n, masks, pred, back)
			if s.Partial {
				const misc = 3
				anyMisc := uint32(1)<<label(misc, partB) | 1<<label(misc, partI) | 1<<label(misc, partL) | 1<<label(misc, partU)
				for t, l := range s.Labels {
					if l == 0 {
						masks[t] = 1 | anyMisc
					} else {
						masks[t] = 1 << l
					}
				}
				constrainedViterbi(&tw, em, n, masks, gold, back)
			} else {
				copy(gold, s.Labels)
			}
			toks += n
			if slices.Equal(pred, gold) {
				c++
				continue
			}
			wt := s.Weight
			if wt == 0 {
				wt = 1
			}
			b = 0
			for t := range n {
				if pred[t] != gold[t] {
					errs++
					for _, f := range d.feats[b:d.ends[t]] {
						base := int(f) * numLabels
						w[base+gold[t]] += wt
						u[base+gold[t]] += c * wt
						w[base+pred[t]] -= wt
						u[base+pred[t]] -= c * wt
					}
				}
				b = d.ends[t]
				pg, pp := startRow, startRow
				if t > 0 {
					pg, pp = gold[t-1], pred[t-1]
				}
				if pg != pp || gold[t] != pred[t] {
					tw[pg][gold[t]] += wt
					tu[pg][gold[t]] += c * wt
					tw[pp][pred[t]] -= wt
					tu[pp][pred[t]] -= c * wt
				}
			}
			c++
		}
		logf("epoch %d: token errors %.4f", epoch+1, float64(errs)/float64(max(toks, 1)))
	}
	for i := range w {
		w[i] -= u[i] / c
	}
	var avg [numLabels + 1][numLabels]float32
	for p := range numLabels + 1 {
		for l := range numLabels {
			avg[p][l] = tw[p][l] - tu[p][l]/c
		}
	}
	return w, avg
}
