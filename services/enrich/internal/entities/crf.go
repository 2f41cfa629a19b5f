package entities

import (
	"math"
	"math/rand/v2"
	"slices"
)

// crfScratch holds one sentence's forward-backward buffers.
type crfScratch struct {
	em, ex, alpha, beta, post []float64
	xi                        [numLabels + 1][numLabels]float64
}

func (s *crfScratch) grow(n int) {
	k := n * numLabels
	s.em = slices.Grow(s.em[:0], k)[:k]
	s.ex = slices.Grow(s.ex[:0], k)[:k]
	s.alpha = slices.Grow(s.alpha[:0], k)[:k]
	s.beta = slices.Grow(s.beta[:0], k)[:k]
	s.post = slices.Grow(s.post[:0], k)[:k]
}

// forwardBackward fills s.post with the label marginals and s.xi with the
// transition marginals summed over the sentence, for emission scores s.em
// and exponentiated transitions te, restricted to the labels in masks (nil:
// all). It returns log Z.
func (s *crfScratch) forwardBackward(te *[numLabels + 1][numLabels]float64, n int, masks []uint32) float64 {
	logZ := 0.0
	for i := range n {
		e := s.em[i*numLabels : (i+1)*numLabels]
		top := math.Inf(-1)
		for l, v := range e {
			if masks == nil || masks[i]&(1<<l) != 0 {
				top = max(top, v)
			}
		}
		logZ += top
		for l, v := range e {
			x := 0.0
			if masks == nil || masks[i]&(1<<l) != 0 {
				x = math.Exp(v - top)
			}
			s.ex[i*numLabels+l] = x
		}
	}
	norm := func(v []float64) float64 {
		var z float64
		for _, x := range v {
			z += x
		}
		if z > 0 {
			for k := range v {
				v[k] /= z
			}
		}
		return z
	}
	a0 := s.alpha[:numLabels]
	for l := range numLabels {
		a0[l] = te[startRow][l] * s.ex[l]
	}
	if n == 1 {
		for l := range numLabels {
			if !allowedEnd(l) {
				a0[l] = 0
			}
		}
	}
	logZ += math.Log(norm(a0))
	for i := 1; i < n; i++ {
		prev := s.alpha[(i-1)*numLabels : i*numLabels]
		cur := s.alpha[i*numLabels : (i+1)*numLabels]
		for l := range numLabels {
			var sum float64
			for p, a := range prev {
				sum += a * te[p][l]
			}
			cur[l] = sum * s.ex[i*numLabels+l]
		}
		if i == n-1 {
			for l := range numLabels {
				if !allowedEnd(l) {
					cur[l] = 0
				}
			}
		}
		logZ += math.Log(norm(cur))
	}
	last := s.beta[(n-1)*numLabels : n*numLabels]
	for l := range numLabels {
		last[l] = 0
		if allowedEnd(l) {
			last[l] = 1
		}
	}
	var tmp [numLabels]float64
	for i := n - 2; i >= 0; i-- {
		nb := s.beta[(i+1)*numLabels : (i+2)*numLabels]
		for l := range numLabels {
			tmp[l] = s.ex[(i+1)*numLabels+l] * nb[l]
		}
		cur := s.beta[i*numLabels : (i+1)*numLabels]
		for p := range numLabels {
			var sum float64
			for l, t := range tmp {
				sum += te[p][l] * t
			}
			cur[p] = sum
		}
		norm(cur)
	}
	for i := range n {
		v := s.post[i*numLabels : (i+1)*numLabels]
		for l := range numLabels {
			v[l] = s.alpha[i*numLabels+l] * s.beta[i*numLabels+l]
		}
		norm(v)
	}
	s.xi = [numLabels + 1][numLabels]float64{}
	for l := range numLabels {
		s.xi[startRow][l] = s.post[l]
	}
	var pair [numLabels][numLabels]float64
	for i := 1; i < n; i++ {
		var z float64
		prev := s.alpha[(i-1)*numLabels : i*numLabels]
		for p := range numLabels {
			for l := range numLabels {
				v := prev[p] * te[p][l] * s.ex[i*numLabels+l] * s.beta[i*numLabels+l]
				pair[p][l] = v
				z += v
			}
		}
		if z > 0 {
			for p := range numLabels {
				for l := range numLabels {
					s.xi[p][l] += pair[p][l] / z
				}
			}
		}
	}
	return logZ
}

// trainCRF trains a linear-chain CRF by stochastic gradient descent on the
// (partial-label) log-likelihood with an L2 penalty, the weights kept as
// scale*w so the penalty's decay costs one multiplication a step.
func trainCRF(cfg TrainConfig, sents []Sentence, ds []denseSent, nf int, logf func(string, ...any)) ([]float32, [numLabels + 1][numLabels]float32) {
	w := make([]float32, nf*numLabels)
	var tw [numLabels + 1][numLabels]float64
	scale := 1.0
	lambda := cfg.L2
	if lambda == 0 {
		lambda = 1.0 / float64(len(sents))
	}
	rate0 := cfg.Rate
	if rate0 == 0 {
		rate0 = 0.1
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	order := make([]int, len(sents))
	for i := range order {
		order[i] = i
	}
	var model, gold crfScratch
	var masks []uint32
	var te [numLabels + 1][numLabels]float64
	var diff [numLabels]float64
	t := 0.0
	for epoch := range cfg.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		loss := 0.0
		for _, si := range order {
			s := &sents[si]
			d := &ds[si]
			n := len(s.Words)
			if n == 0 {
				continue
			}
			rate := rate0 / (1 + t/float64(len(sents)))
			t++
			for p := range numLabels + 1 {
				for l := range numLabels {
					te[p][l] = 0
					if allowed(p, l) {
						te[p][l] = math.Exp(tw[p][l])
					}
				}
			}
			model.grow(n)
			b := int32(0)
			for i := range n {
				e := model.em[i*numLabels : (i+1)*numLabels]
				var acc [numLabels]float32
				for _, f := range d.feats[b:d.ends[i]] {
					row := w[int(f)*numLabels : int(f)*numLabels+numLabels]
					for l := range numLabels {
						acc[l] += row[l]
					}
				}
				for l := range numLabels {
					e[l] = float64(acc[l]) * scale
				}
				b = d.ends[i]
			}
			logZ := model.forwardBackward(&te, n, nil)
			masks = slices.Grow(masks[:0], n)[:n]
			for i, l := range s.Labels {
				masks[i] = 1 << l
				if s.Partial && l == 0 {
					const misc = 3
					masks[i] |= 1<<label(misc, partB) | 1<<label(misc, partI) | 1<<label(misc, partL) | 1<<label(misc, partU)
				}
			}
			gold.grow(n)
			copy(gold.em, model.em)
			logZGold := gold.forwardBackward(&te, n, masks)
			wt := float64(s.Weight)
			if wt == 0 {
				wt = 1
			}
			loss += wt * (logZ - logZGold)
			step := rate * wt
			// L2 decay, then the gradient (gold minus model expectations).
			scale *= 1 - rate*lambda
			for p := range numLabels + 1 {
				for l := range numLabels {
					tw[p][l] = tw[p][l]*(1-rate*lambda) + step*(gold.xi[p][l]-model.xi[p][l])
				}
			}
			b = 0
			for i := range n {
				big := false
				for l := range numLabels {
					diff[l] = gold.post[i*numLabels+l] - model.post[i*numLabels+l]
					if math.Abs(diff[l]) > 1e-4 {
						big = true
					}
				}
				if big {
					for l := range numLabels {
						diff[l] *= step / scale
					}
					for _, f := range d.feats[b:d.ends[i]] {
						row := w[int(f)*numLabels : int(f)*numLabels+numLabels]
						for l := range numLabels {
							row[l] += float32(diff[l])
						}
					}
				}
				b = d.ends[i]
			}
			if scale < 1e-6 {
				for i := range w {
					w[i] *= float32(scale)
				}
				scale = 1
			}
		}
		logf("epoch %d: loss %.1f", epoch+1, loss)
	}
	for i := range w {
		w[i] *= float32(scale)
	}
	var out [numLabels + 1][numLabels]float32
	for p := range numLabels + 1 {
		for l := range numLabels {
			out[p][l] = float32(tw[p][l])
		}
	}
	return w, out
}
