package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/newsflow/newsflow/services/enrich/internal/language"
)

type fitPoint struct {
	x    [3]float64 // margin, log letters, 1
	ok   bool
	even bool
}

// fitCalibration runs the detector in process over sentences, two-word
// phrases, single words and two-sentence texts, and fits a logistic model of
// "the answer is right" on the margin and the log letter count, one per
// scoring mode. It fits on even lines and reports the error on odd lines.
func fitCalibration(w io.Writer, samples []sample, langs string) error {
	codes := language.DefaultLanguages
	if langs != "" {
		codes = strings.Split(langs, ",")
	}
	d, err := language.NewDetector(codes)
	if err != nil {
		return err
	}
	byMode := map[string][]fitPoint{}
	add := func(text, want string, line int) {
		r := d.Detect(text)
		if r.Reason != "ngrams" && r.Reason != "long" {
			return
		}
		byMode[r.Reason] = append(byMode[r.Reason], fitPoint{
			x:    [3]float64{r.Margin, math.Log(float64(max(r.Letters, 1))), 1},
			ok:   r.Code == want,
			even: line%2 == 0,
		})
	}
	prev := map[string]string{}
	for _, s := range samples {
		switch s.set {
		case "sentences":
			add(s.text, s.lang, s.line)
			for i, word := range strings.Fields(s.text) {
				if i%3 == 0 {
					add(word, s.lang, s.line)
				}
			}
			if p, ok := prev[s.lang]; ok {
				add(p+" "+s.text, s.lang, s.line)
			}
			prev[s.lang] = s.text
		case "pairs":
			add(s.text, s.lang, s.line)
		}
	}
	for _, mode := range []string{"ngrams", "long"} {
		pts := byMode[mode]
		var train, test []fitPoint
		for _, p := range pts {
			if p.even {
				train = append(train, p)
			} else {
				test = append(test, p)
			}
		}
		beta := logistic(train)
		var cps []calPoint
		for _, p := range test {
			cps = append(cps, calPoint{conf: sigmoid(dot(beta, p.x)), ok: p.ok})
		}
		fmt.Fprintf(w, "mode %s: %d training points, %d held out\n", mode, len(train), len(test))
		fmt.Fprintf(w, "  calibration{margin: %.4f, logLetters: %.4f, bias: %.4f}\n", beta[0], beta[1], beta[2])
		printCalibration(w, cps)
	}
	return nil
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

// logistic fits logistic regression by Newton's method with a small ridge
// penalty (the classes can be nearly separable).
func logistic(pts []fitPoint) [3]float64 {
	var beta [3]float64
	const ridge = 1e-3
	for iter := 0; iter < 50; iter++ {
		var g [3]float64
		var h [3][3]float64
		for _, p := range pts {
			mu := sigmoid(dot(beta, p.x))
			y := 0.0
			if p.ok {
				y = 1
			}
			for i := 0; i < 3; i++ {
				g[i] += (y - mu) * p.x[i]
				for j := 0; j < 3; j++ {
					h[i][j] += mu * (1 - mu) * p.x[i] * p.x[j]
				}
			}
		}
		for i := 0; i < 3; i++ {
			g[i] -= ridge * beta[i]
			h[i][i] += ridge
		}
		step := solve3(h, g)
		for i := range beta {
			beta[i] += step[i]
		}
		if math.Abs(step[0])+math.Abs(step[1])+math.Abs(step[2]) < 1e-9 {
			break
		}
	}
	return beta
}

// solve3 solves h x = g by Gaussian elimination.
func solve3(h [3][3]float64, g [3]float64) [3]float64 {
	for c := 0; c < 3; c++ {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(h[r][c]) > math.Abs(h[p][c]) {
				p = r
			}
		}
		h[c], h[p] = h[p], h[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < 3; r++ {
			f := h[r][c] / h[c][c]
			for k := c; k < 3; k++ {
				h[r][k] -= f * h[c][k]
			}
			g[r] -= f * g[c]
		}
	}
	var x [3]float64
	for r := 2; r >= 0; r-- {
		s := g[r]
		for k := r + 1; k < 3; k++ {
			s -= h[r][k] * x[k]
		}
		x[r] = s / h[r][r]
	}
	return x
}
