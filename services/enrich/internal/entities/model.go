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

// Labels are IOB2: O, then B- and I- for each type in Types order.
var Types = [...]string{article.PER, article.ORG, article.LOC, article.MISC}

const (
	numTypes  = len(Types)
	numLabels = 1 + 2*numTypes
	startRow  = numLabels // transition row for the sentence start
)

func labelB(t int) int    { return 1 + 2*t }
func labelI(t int) int    { return 2 + 2*t }
func labelType(l int) int { return (l - 1) / 2 }
func isInside(l int) bool { return l > 0 && l%2 == 0 }
func allowed(prev, l int) bool {
	return !isInside(l) || (prev != startRow && prev != 0 && labelType(prev) == labelType(l))
}

// LabelName names a label index (O, B-PER, I-PER, ...).
func LabelName(l int) string {
	if l == 0 {
		return "O"
	}
	if isInside(l) {
		return "I-" + Types[labelType(l)]
	}
	return "B-" + Types[labelType(l)]
}

// LabelIndex is the inverse of LabelName; unknown names map to O.
func LabelIndex(name string) int {
	for l := range numLabels {
		if LabelName(l) == name {
			return l
		}
	}
	return 0
}

// Model is a trained linear-chain tagger for one language (or "xx", the
// multilingual fallback): hashed features with int8 weights, label
// transitions, and the word tables its features read.
type Model struct {
	Lang  string
	scale float32
	trans [numLabels + 1][numLabels]float32

	// Open-addressing table from 32-bit feature keys to weight rows.
	slots   []uint32
	rows    []int32
	mask    uint64
	weights []int8 // nfeat * numLabels
	nfeat   int

	res resources
}

const magic = "NFNER\x01"

// featureKey is the 32 bits of a feature hash stored in the model.
func featureKey(h uint64) uint32 {
	k := uint32(h >> 32)
	if k == 0 {
		k = 1
	}
	return k
}

func (m *Model) buildTable(keys []uint32) {
	size := 1
	for size < 2*len(keys)+1 {
		size <<= 1
	}
	m.slots = make([]uint32, size)
	m.rows = make([]int32, size)
	m.mask = uint64(size - 1)
	// Keys are stored without their slot bits; re-derive a slot from the key.
	for r, k := range keys {
		for i := slotOf(k) & m.mask; ; i = (i + 1) & m.mask {
			if m.slots[i] == 0 {
				m.slots[i] = k
				m.rows[i] = int32(r)
				break
			}
		}
	}
}

// slotOf spreads a stored key over the table; lookup uses the same function
// of the key so that keys alone (not full hashes) need to be stored.
func slotOf(k uint32) uint64 { return uint64(k) * 0x9E3779B97F4A7C15 >> 20 }

// scores fills s (len numLabels) with the emission scores of one token.
func (m *Model) scores(feats []uint64, s []float32) {
	var acc [numLabels]int32
	for _, h := range feats {
		k := featureKey(h)
		for i := slotOf(k) & m.mask; ; i = (i + 1) & m.mask {
			sk := m.slots[i]
			if sk == k {
				w := m.weights[int(m.rows[i])*numLabels : int(m.rows[i])*numLabels+numLabels]
				for l := range numLabels {
					acc[l] += int32(w[l])
				}
				break
			}
			if sk == 0 {
				break
			}
		}
	}
	for l := range numLabels {
		s[l] = float32(acc[l]) * m.scale
	}
}

// viterbi finds the best label sequence given emission scores (n*numLabels).
func (m *Model) viterbi(em []float32, n int, out []int, back []int8) {
	const negInf = float32(-1e30)
	var cur, next [numLabels]float32
	for l := range numLabels {
		if allowed(startRow, l) {
			cur[l] = m.trans[startRow][l] + em[l]
		} else {
			cur[l] = negInf
		}
	}
	for i := 1; i < n; i++ {
		e := em[i*numLabels : (i+1)*numLabels]
		for l := range numLabels {
			best, arg := negInf, 0
			for p := range numLabels {
				if !allowed(p, l) {
					continue
				}
				if v := cur[p] + m.trans[p][l]; v > best {
					best, arg = v, p
				}
			}
			next[l] = best + e[l]
			back[i*numLabels+l] = int8(arg)
		}
		cur = next
	}
	best, arg := negInf, 0
	for l := range numLabels {
		if cur[l] > best {
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
// the same scores (a softmax reading of the linear scores), into post.
func (m *Model) marginals(em []float32, n int, alpha, beta, post []float64) {
	var tr [numLabels + 1][numLabels]float64
	for p := range numLabels + 1 {
		for l := range numLabels {
			if allowed(p, l) {
				tr[p][l] = math.Exp(float64(m.trans[p][l]))
			}
		}
	}
	ex := func(i, l int) float64 { return math.Exp(float64(em[i*numLabels+l])) }
	var z float64
	for l := range numLabels {
		alpha[l] = tr[startRow][l] * ex(0, l)
		z += alpha[l]
	}
	scale := make([]float64, n)
	scale[0] = z
	for l := range numLabels {
		alpha[l] /= z
	}
	for i := 1; i < n; i++ {
		z = 0
		for l := range numLabels {
			var s float64
			for p := range numLabels {
				s += alpha[(i-1)*numLabels+p] * tr[p][l]
			}
			a := s * ex(i, l)
			alpha[i*numLabels+l] = a
			z += a
		}
		if z == 0 {
			z = 1
		}
		scale[i] = z
		for l := range numLabels {
			alpha[i*numLabels+l] /= z
		}
	}
	for l := range numLabels {
		beta[(n-1)*numLabels+l] = 1
	}
	for i := n - 2; i >= 0; i-- {
		for p := range numLabels {
			var s float64
			for l := range numLabels {
				s += tr[p][l] * ex(i+1, l) * beta[(i+1)*numLabels+l]
			}
			beta[i*numLabels+p] = s / scale[i+1]
		}
	}
	for i := range n {
		var z float64
		for l := range numLabels {
			v := alpha[i*numLabels+l] * beta[i*numLabels+l]
			post[i*numLabels+l] = v
			z += v
		}
		if z > 0 {
			for l := range numLabels {
				post[i*numLabels+l] /= z
			}
		}
	}
}

// Marshal writes the model in its compact gzip'd binary form.
func (m *Model) Marshal(w io.Writer, keys []uint32) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	var tmp [binary.MaxVarintLen64]byte
	uv := func(x uint64) { bw.Write(tmp[:binary.PutUvarint(tmp[:], x)]) }
	f32 := func(f float32) { binary.Write(bw, binary.LittleEndian, f) }
	bw.WriteString(magic)
	uv(uint64(len(m.Lang)))
	bw.WriteString(m.Lang)
	f32(m.scale)
	for p := range numLabels + 1 {
		for l := range numLabels {
			f32(m.trans[p][l])
		}
	}
	writeTable(bw, uv, m.res.caseTable, func(v uint8) uint64 { return uint64(v) })
	writeTable16(bw, uv, m.res.clusters)
	writeTable(bw, uv, m.res.gazetteer, func(v uint8) uint64 { return uint64(v) })
	// Features sorted by key, delta-coded; weights in the same order.
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
		for l := range numLabels {
			bw.WriteByte(byte(m.weights[i*numLabels+l]))
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
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
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, err)
	}
	r := &reader{b: raw}
	if string(r.bytes(len(magic))) != magic {
		return nil, fmt.Errorf("%w: wrong magic", ErrBadModel)
	}
	m := &Model{}
	m.Lang = string(r.bytes(int(r.uvarint())))
	m.scale = r.f32()
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
	m.res.gazetteer = readTable8(r)
	n = int(r.uvarint())
	if r.err == nil && n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
	}
	if r.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, r.err)
	}
	keys := make([]uint32, n)
	var k uint32
	for i := range keys {
		k += uint32(r.uvarint())
		keys[i] = k
	}
	w := r.bytes(n * numLabels)
	if r.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModel, r.err)
	}
	m.weights = make([]int8, len(w))
	for i, b := range w {
		m.weights[i] = int8(b)
	}
	m.nfeat = n
	m.buildTable(keys)
	return m, nil
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

// Features is the number of weighted features in the model.
func (m *Model) Features() int { return m.nfeat }
