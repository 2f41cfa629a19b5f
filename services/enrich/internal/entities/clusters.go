package entities

import "math"

// clusterDepth is the length of the cluster paths ClusterVectors makes, in
// bits: the features read their prefixes of 4, 8, 12 and 16 bits, coarse to
// fine. Models written before version 1.9.0 of the enrichment have 12-bit
// paths (and three prefixes); a model file says which it has.
const clusterDepth = 16

// ClusterVectors turns word vectors into the model's word clusters: each
// word gets a clusterDepth-bit path down a binary tree built by splitting the words
// in two with spherical 2-means, again and again (bisecting k-means), so
// words whose vectors point the same way share long prefixes, like Brown
// clusters. Words are keyed by WordKey; when two words share a key, the
// earlier one (give the most frequent first) wins. The result depends only
// on the input: the splits start from the words farthest apart, not from
// random picks.
func ClusterVectors(words []string, vecs [][]float32) map[uint64]uint16 {
	unit := make([][]float32, 0, len(vecs))
	keys := make([]uint64, 0, len(vecs))
	seen := make(map[uint64]bool, len(words))
	for i, w := range words {
		k := WordKey(w)
		if k == 0 || seen[k] || i >= len(vecs) {
			continue
		}
		v := normalised(vecs[i])
		if v == nil {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
		unit = append(unit, v)
	}
	idx := make([]int32, len(unit))
	for i := range idx {
		idx[i] = int32(i)
	}
	paths := make([]uint16, len(unit))
	b := bisector{vecs: unit, paths: paths, scratch: make([]int32, len(unit))}
	b.split(idx, 0, 0)
	out := make(map[uint64]uint16, len(keys))
	for i, k := range keys {
		out[k] = paths[i]
	}
	return out
}

func normalised(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return nil
	}
	inv := 1 / math.Sqrt(n)
	u := make([]float32, len(v))
	for i, x := range v {
		u[i] = float32(float64(x) * inv)
	}
	return u
}

// bisector holds the unit vectors being clustered, the path each word gets,
// and room to reorder a node's words.
type bisector struct {
	vecs    [][]float32
	paths   []uint16
	scratch []int32
}

// split gives the words of idx the path prefix path of depth bits and
// splits them further.
func (b *bisector) split(idx []int32, path uint16, depth int) {
	if depth == clusterDepth || len(idx) < 2 {
		for _, i := range idx {
			b.paths[i] = path << (clusterDepth - depth)
		}
		return
	}
	left := b.twoMeans(idx)
	b.split(idx[:left], path<<1, depth+1)
	b.split(idx[left:], path<<1|1, depth+1)
}

// twoMeans reorders idx so that its first part is one cluster and the rest
// the other, keeping the words' order within each, and returns the size
// of the first part.
func (b *bisector) twoMeans(idx []int32) int {
	dim := len(b.vecs[idx[0]])
	mean := b.centroid(idx, nil, dim)
	// Seeds: the word least like the mean, then the word least like it.
	ca := toF64(b.vecs[b.farthest(idx, mean)])
	cb := toF64(b.vecs[b.farthest(idx, ca)])
	side := make([]bool, len(idx)) // true: second cluster
	for iter := range 10 {
		changed := false
		for j, i := range idx {
			v := b.vecs[i]
			if s := dot(v, cb) > dot(v, ca); s != side[j] {
				side[j], changed = s, true
			}
		}
		if iter > 0 && !changed {
			break
		}
		ca = b.centroid(idx, func(j int) bool { return !side[j] }, dim)
		cb = b.centroid(idx, func(j int) bool { return side[j] }, dim)
	}
	// Stable partition.
	n := 0
	for j, i := range idx {
		if !side[j] {
			b.scratch[n] = i
			n++
		}
	}
	left := n
	for j, i := range idx {
		if side[j] {
			b.scratch[n] = i
			n++
		}
	}
	copy(idx, b.scratch[:n])
	if left == 0 || left == len(idx) {
		return len(idx) / 2 // identical vectors: halve
	}
	return left
}

// centroid returns the normalised sum of the vectors of idx that keep
// selects (all when keep is nil); a zero vector when none is selected.
func (b *bisector) centroid(idx []int32, keep func(j int) bool, dim int) []float64 {
	c := make([]float64, dim)
	for j, i := range idx {
		if keep != nil && !keep(j) {
			continue
		}
		for d, x := range b.vecs[i] {
			c[d] += float64(x)
		}
	}
	var n float64
	for _, x := range c {
		n += x * x
	}
	if n > 0 {
		inv := 1 / math.Sqrt(n)
		for d := range c {
			c[d] *= inv
		}
	}
	return c
}

func (b *bisector) farthest(idx []int32, from []float64) int32 {
	best, bestSim := idx[0], math.Inf(1)
	for _, i := range idx {
		if s := dot(b.vecs[i], from); s < bestSim {
			best, bestSim = i, s
		}
	}
	return best
}

func toF64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func dot(v []float32, c []float64) float64 {
	var s float64
	for d, x := range v {
		s += float64(x) * c[d]
	}
	return s
}
