package entities

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/newsflow/newsflow/pkg/article"
)

// Types are the entity types, in label order.
var Types = [...]string{article.PER, article.ORG, article.LOC, article.MISC}

// Labels are BILOU: O, then for each type B- (first of several tokens), I-
// (inside), L- (last) and U- (a one-token entity).
const (
	numTypes  = len(Types)
	numLabels = 1 + 4*numTypes
	startRow  = numLabels // transition row for the sentence start

	partB, partI, partL, partU = 0, 1, 2, 3
)

func label(t, part int) int { return 1 + 4*t + part }
func labelType(l int) int   { return (l - 1) / 4 }
func labelPart(l int) int   { return (l - 1) % 4 }

// opens says whether a label needs a continuation (B- or I-).
func opens(l int) bool { return l > 0 && l < numLabels && labelPart(l) <= partI }

// allowed says whether label l may follow prev (startRow at the start).
func allowed(prev, l int) bool {
	prevOpen := prev != startRow && opens(prev)
	if l > 0 && (labelPart(l) == partI || labelPart(l) == partL) {
		return prevOpen && labelType(prev) == labelType(l)
	}
	return !prevOpen
}

// allowedEnd says whether a sentence may end on label l.
func allowedEnd(l int) bool { return !opens(l) }

// preds lists, in increasing order, the labels that may precede each label,
// and succs the labels that may follow each label (and the sentence start).
// BILOU allows 97 of the 289 label pairs, so decoding over these lists does
// a third of the work of the full matrix, with the same sums in the same
// order (the skipped terms are disallowed transitions, which add nothing).
var preds, succs = transitionLists()

func transitionLists() (preds [numLabels][]int, succs [numLabels + 1][]int) {
	for p := range numLabels + 1 {
		for l := range numLabels {
			if allowed(p, l) {
				succs[p] = append(succs[p], l)
				if p != startRow {
					preds[l] = append(preds[l], p)
				}
			}
		}
	}
	return preds, succs
}

var partNames = [...]string{"B-", "I-", "L-", "U-"}

// LabelName names a label index (O, B-PER, I-PER, L-PER, U-PER, ...).
func LabelName(l int) string {
	if l == 0 {
		return "O"
	}
	return partNames[labelPart(l)] + Types[labelType(l)]
}

// FromIOB2 converts IOB2 tags (B-PER, I-PER, O) to label indexes.
func FromIOB2(tags []string) []int {
	out := make([]int, len(tags))
	for _, sp := range SpansIOB2(tags) {
		if sp.End-sp.Start == 1 {
			out[sp.Start] = label(sp.Type, partU)
			continue
		}
		out[sp.Start] = label(sp.Type, partB)
		for i := sp.Start + 1; i < sp.End-1; i++ {
			out[i] = label(sp.Type, partI)
		}
		out[sp.End-1] = label(sp.Type, partL)
	}
	return out
}

// SpansIOB2 reads entities off IOB2 tags; an I- without a B- starts one.
func SpansIOB2(tags []string) []Span {
	var out []Span
	typeOf := func(t string) int {
		for i, x := range Types {
			if len(t) == len(x)+2 && t[2:] == x {
				return i
			}
		}
		return -1
	}
	for i := 0; i < len(tags); {
		t := tags[i]
		typ := -1
		if len(t) > 2 && (t[0] == 'B' || t[0] == 'I') && t[1] == '-' {
			typ = typeOf(t)
		}
		if typ < 0 {
			i++
			continue
		}
		j := i + 1
		for j < len(tags) && len(tags[j]) > 2 && tags[j][0] == 'I' && typeOf(tags[j]) == typ {
			j++
		}
		out = append(out, Span{Start: i, End: j, Type: typ})
		i = j
	}
	return out
}

// iob2Name is the IOB2 tag of a label.
func iob2Name(l int) string {
	if l == 0 {
		return "O"
	}
	if p := labelPart(l); p == partI || p == partL {
		return "I-" + Types[labelType(l)]
	}
	return "B-" + Types[labelType(l)]
}

// Model is a trained linear-chain tagger for one language (or "xx", the
// multilingual fallback): hashed features with int8 weights, label
// transitions, and the word tables its features read.
type Model struct {
	Lang  string
	trans [numLabels + 1][numLabels]float32
	// Derived from trans by prepare: disallowed transitions at -inf for
	// Viterbi, and exponentiated (0 when disallowed) for the marginals.
	tv [numLabels + 1][numLabels]float32
	te [numLabels + 1][numLabels]float64

	// Open-addressing table from 32-bit feature keys to weight rows: each
	// entry is key<<32 | row, and a row holds its scale next to its weights,
	// so a feature costs two memory reads, not four.
	table []uint64
	mask  uint64
	rows  []weightRow

	res resources

	// stage2, when set, relabels the sentences given this model's labels
	// (its features add the first stage's labels of the token, its
	// neighbours and the word's other occurrences in the article).
	stage2 *Model
}

// magic starts a one-stage model file; magic2 one with a second stage.
// Files with word clusters start with magicClusters or magic2Clusters and
// give the clusters' path length after them; older ones have 12-bit paths.
const (
	magic          = "NFNER\x03"
	magic2         = "NFNER\x04"
	magicClusters  = "NFNER\x05"
	magic2Clusters = "NFNER\x06"
)

// legacyClusterBits is the path length of clusters in files without it.
const legacyClusterBits = 12

// rowKeys returns each row's feature key (the inverse of the table).
func (m *Model) rowKeys() []uint32 {
	keys := make([]uint32, len(m.rows))
	for _, e := range m.table {
		if e != 0 {
			keys[uint32(e)] = uint32(e >> 32)
		}
	}
	return keys
}

// featureKey is the 32 bits of a feature hash stored in the model.
func featureKey(h uint64) uint32 {
	k := uint32(h >> 32)
	if k == 0 {
		k = 1
	}
	return k
}

// prepare derives the decoding tables from the transition weights.
func (m *Model) prepare() {
	for p := range numLabels + 1 {
		for l := range numLabels {
			m.tv[p][l], m.te[p][l] = negInf, 0
			if allowed(p, l) {
				m.tv[p][l] = m.trans[p][l]
				m.te[p][l] = math.Exp(float64(m.trans[p][l]))
			}
		}
	}
}

const negInf = float32(-1e30)

// weightRow is one feature's weights: w[l]*scale for label l.
type weightRow struct {
	scale float32
	w     [numLabels]int8
}

// buildTable prepares the model for decoding: the transition tables and the
// feature table over keys, whose weights are weights[r*numLabels:] times
// scales[r] for the r-th key.
func (m *Model) buildTable(keys []uint32, weights []int8, scales []float32) {
	m.prepare()
	m.rows = make([]weightRow, len(keys))
	for r := range m.rows {
		m.rows[r].scale = scales[r]
		copy(m.rows[r].w[:], weights[r*numLabels:(r+1)*numLabels])
	}
	size := 1
	for size < 2*len(keys)+1 {
		size <<= 1
	}
	m.table = make([]uint64, size)
	m.mask = uint64(size - 1)
	// Keys are stored without their slot bits; re-derive a slot from the key.
	for r, k := range keys {
		for i := slotOf(k) & m.mask; ; i = (i + 1) & m.mask {
			if m.table[i] == 0 {
				m.table[i] = uint64(k)<<32 | uint64(r)
				break
			}
		}
	}
}

// slotOf spreads a stored key over the table; lookup uses the same function
// of the key so that keys alone (not full hashes) need to be stored.
func slotOf(k uint32) uint64 { return uint64(k) * 0x9E3779B97F4A7C15 >> 20 }

// addScores adds to acc the weights of those feats whose mark in own is
// which, feature by feature.
//
// The table and the rows are far larger than the caches, so nearly every
// lookup misses. Looked up one feature at a time, each miss waits for the
// one before; here a batch of features goes through in passes, and the
// passes that only load (first probes, then rows) let the processor have
// many misses in flight at once. The weights are still added feature by
// feature in the features' order, so the sums are the same to the bit.
func (m *Model) addScores(acc *[numLabels]float32, feats []uint64, own []bool, which bool) {
	const batch = 32
	var (
		keys   [batch]uint32
		first  [batch]uint64
		rows   [batch]*weightRow
		scales [batch]float32
	)
	for len(feats) > 0 {
		n, used := 0, 0
		for ; used < len(feats) && n < batch; used++ {
			if own[used] == which {
				keys[n] = featureKey(feats[used])
				n++
			}
		}
		feats, own = feats[used:], own[used:]
		for j, k := range keys[:n] {
			first[j] = m.table[slotOf(k)&m.mask]
		}
		found := 0
		for j, k := range keys[:n] {
			e := first[j]
			for i := slotOf(k) & m.mask; ; {
				if sk := uint32(e >> 32); sk == k {
					rows[found] = &m.rows[uint32(e)]
					found++
					break
				} else if sk == 0 {
					break
				}
				i = (i + 1) & m.mask
				e = m.table[i]
			}
		}
		for j, row := range rows[:found] {
			scales[j] = row.scale
		}
		for j, row := range rows[:found] {
			sc := scales[j]
			for l, w := range row.w {
				acc[l] += float32(w) * sc
			}
		}
	}
}

// viterbi finds the best label sequence given emission scores (n*numLabels).
func (m *Model) viterbi(em []float32, n int, out []int, back []int8) {
	var cur, next [numLabels]float32
	for l := range numLabels {
		cur[l] = m.tv[startRow][l] + em[l]
	}
	for i := 1; i < n; i++ {
		e := em[i*numLabels : (i+1)*numLabels]
		bk := back[i*numLabels : (i+1)*numLabels]
		for l := range numLabels {
			best, arg := negInf, 0
			for _, p := range preds[l] {
				if v := cur[p] + m.tv[p][l]; v > best {
					best, arg = v, p
				}
			}
			next[l] = best + e[l]
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

// marginals computes per-token label posteriors with forward-backward over
// the same scores (a softmax reading of the linear scores), into post. ex,
// alpha and beta are scratch space of n*numLabels.
func (m *Model) marginals(em []float32, n int, ex, alpha, beta, post []float64) {
	// Exponentiate each token's scores shifted by their maximum; the shift
	// is a per-position constant, which the per-token normalisation removes.
	for i := range n {
		e := em[i*numLabels : (i+1)*numLabels]
		top := e[0]
		for _, v := range e[1:] {
			top = max(top, v)
		}
		for l, v := range e {
			ex[i*numLabels+l] = math.Exp(float64(v - top))
		}
	}
	norm := func(v []float64) {
		var z float64
		for _, x := range v {
			z += x
		}
		if z > 0 {
			for k := range v {
				v[k] /= z
			}
		}
	}
	for l := range numLabels {
		alpha[l] = m.te[startRow][l] * ex[l]
	}
	norm(alpha[:numLabels])
	for i := 1; i < n; i++ {
		prev := alpha[(i-1)*numLabels : i*numLabels]
		cur := alpha[i*numLabels : (i+1)*numLabels]
		for l := range numLabels {
			var s float64
			for _, p := range preds[l] {
				s += prev[p] * m.te[p][l]
			}
			cur[l] = s * ex[i*numLabels+l]
		}
		norm(cur)
	}
	last := beta[(n-1)*numLabels : n*numLabels]
	for l := range numLabels {
		last[l] = 0
		if allowedEnd(l) {
			last[l] = 1
		}
	}
	var tmp [numLabels]float64
	for i := n - 2; i >= 0; i-- {
		nb := beta[(i+1)*numLabels : (i+2)*numLabels]
		for l := range numLabels {
			tmp[l] = ex[(i+1)*numLabels+l] * nb[l]
		}
		cur := beta[i*numLabels : (i+1)*numLabels]
		for p := range numLabels {
			var s float64
			for _, l := range succs[p] {
				s += m.te[p][l] * tmp[l]
			}
			cur[p] = s
		}
		norm(cur)
	}
	for i := range n {
		v := post[i*numLabels : (i+1)*numLabels]
		for l := range numLabels {
			v[l] = alpha[i*numLabels+l] * beta[i*numLabels+l]
		}
		norm(v)
	}
}

// Marshal writes the model in its compact gzip'd binary form.
func (m *Model) Marshal(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	var tmp [binary.MaxVarintLen64]byte
	uv := func(x uint64) { bw.Write(tmp[:binary.PutUvarint(tmp[:], x)]) }
	f32 := func(f float32) { binary.Write(bw, binary.LittleEndian, f) }
	withBits := len(m.res.clusters) > 0
	switch {
	case m.stage2 != nil && withBits:
		bw.WriteString(magic2Clusters)
	case m.stage2 != nil:
		bw.WriteString(magic2)
	case withBits:
		bw.WriteString(magicClusters)
	default:
		bw.WriteString(magic)
	}
	uv(uint64(len(m.Lang)))
	bw.WriteString(m.Lang)
	for p := range numLabels + 1 {
		for l := range numLabels {
			f32(m.trans[p][l])
		}
	}
	writeTable(bw, uv, m.res.caseTable, func(v uint8) uint64 { return uint64(v) })
	writeTable16(bw, uv, m.res.clusters)
	if withBits {
		uv(uint64(m.res.clusterBits))
	}
	writeTable(bw, uv, m.res.gazetteer, func(v uint8) uint64 { return uint64(v) })
	m.writeFeatures(bw, uv, f32)
	// The second stage, if any: its transitions and its features.
	if m.stage2 != nil {
		for p := range numLabels + 1 {
			for l := range numLabels {
				f32(m.stage2.trans[p][l])
			}
		}
		m.stage2.writeFeatures(bw, uv, f32)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// writeFeatures writes the features sorted by key, delta-coded, then their
// weights and scales in the same order.
func (m *Model) writeFeatures(bw *bufio.Writer, uv func(uint64), f32 func(float32)) {
	keys := m.rowKeys()
	order := make([]int, len(keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return int(int64(keys[a]) - int64(keys[b])) })
	uv(uint64(len(keys)))
	var prev uint32
	for _, i := range order {
		uv(uint64(keys[i] - prev))
		prev = keys[i]
	}
	for _, i := range order {
		for _, w := range m.rows[i].w {
			bw.WriteByte(byte(w))
		}
	}
	for _, i := range order {
		f32(m.rows[i].scale)
	}
}

func writeTable(bw *bufio.Writer, uv func(uint64), t map[uint64]uint8, val func(uint8) uint64) {
	keys := make([]uint64, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	uv(uint64(len(keys)))
	var prev uint64
	for _, k := range keys {
		uv(k - prev)
		prev = k
		uv(val(t[k]))
	}
}

func writeTable16(bw *bufio.Writer, uv func(uint64), t map[uint64]uint16) {
	keys := make([]uint64, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	uv(uint64(len(keys)))
	var prev uint64
	for _, k := range keys {
		uv(k - prev)
		prev = k
		uv(uint64(t[k]))
	}
}

// ErrBadModel reports a model file that cannot be read.
var ErrBadModel = errors.New("bad entity model")

// LoadModel reads a model written by Marshal.
func LoadModel(data []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	r := &reader{b: raw}
	stages, withBits := 0, false
	switch string(r.bytes(len(magic))) {
	case magic:
		stages = 1
	case magic2:
		stages = 2
	case magicClusters:
		stages, withBits = 1, true
	case magic2Clusters:
		stages, withBits = 2, true
	default:
		return nil, fmt.Errorf("%w: wrong magic", ErrBadModel)
	}
	m := &Model{}
	m.Lang = string(r.bytes(int(r.uvarint())))
	for p := range numLabels + 1 {
		for l := range numLabels {
			m.trans[p][l] = r.f32()
		}
	}
	m.res.caseTable = readTable8(r)
	n := int(r.uvarint())
	if r.err == nil && n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
	}
	if r.err == nil {
		m.res.clusters = make(map[uint64]uint16, n)
		var k uint64
		for range n {
			k += r.uvarint()
			m.res.clusters[k] = uint16(r.uvarint())
		}
	}
	m.res.clusterBits = legacyClusterBits
	if withBits {
		if m.res.clusterBits = int(r.uvarint()); r.err == nil && (m.res.clusterBits < 4 || m.res.clusterBits > 16) {
			return nil, fmt.Errorf("%w: cluster paths of %d bits", ErrBadModel, m.res.clusterBits)
		}
	}
	m.res.gazetteer = readTable8(r)
	if err := m.readFeatures(r); err != nil {
		return nil, err
	}
	if stages == 2 {
		m2 := &Model{Lang: m.Lang, res: m.res}
		for p := range numLabels + 1 {
			for l := range numLabels {
				m2.trans[p][l] = r.f32()
			}
		}
		if err := m2.readFeatures(r); err != nil {
			return nil, err
		}
		m.stage2 = m2
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadModel, r.err)
	}
	return m, nil
}

// readFeatures reads what writeFeatures wrote and builds the table.
func (m *Model) readFeatures(r *reader) error {
	n := int(r.uvarint())
	if r.err == nil && n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
	}
	if r.err != nil {
		return fmt.Errorf("%w: %w", ErrBadModel, r.err)
	}
	keys := make([]uint32, n)
	var k uint32
	for i := range keys {
		k += uint32(r.uvarint())
		keys[i] = k
	}
	w := r.bytes(n * numLabels)
	if r.err != nil {
		return fmt.Errorf("%w: %w", ErrBadModel, r.err)
	}
	weights := make([]int8, len(w))
	for i, b := range w {
		weights[i] = int8(b)
	}
	scales := make([]float32, n)
	for i := range scales {
		scales[i] = r.f32()
	}
	if r.err != nil {
		return fmt.Errorf("%w: %w", ErrBadModel, r.err)
	}
	m.buildTable(keys, weights, scales)
	return nil
}

func readTable8(r *reader) map[uint64]uint8 {
	n := int(r.uvarint())
	if r.err != nil || n > len(r.b) {
		if r.err == nil {
			r.err = io.ErrUnexpectedEOF
		}
		return nil
	}
	t := make(map[uint64]uint8, n)
	var k uint64
	for range n {
		k += r.uvarint()
		t[k] = uint8(r.uvarint())
	}
	return t
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = io.ErrUnexpectedEOF
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) f32() float32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b))
}

// Features is the number of weighted features in the model (both stages).
func (m *Model) Features() int {
	if m.stage2 != nil {
		return len(m.rows) + len(m.stage2.rows)
	}
	return len(m.rows)
}
