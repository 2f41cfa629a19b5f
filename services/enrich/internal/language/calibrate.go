package language

import "math"

// calibration maps the score margin between the best and the second-best
// language to the probability that the best is right: a logistic fit on
// the margin and the log of the letter count. The coefficients are fitted on
// the development set by `go run ./cmd/evallang -fit` (see
// docs/evaluation.md); refit when the scoring changes.
type calibration struct {
	margin, logLetters, bias float64
}

func (c calibration) confidence(margin float64, letters int) float64 {
	if math.IsInf(margin, 1) {
		return 0.99
	}
	z := c.margin*margin + c.logLetters*math.Log(float64(max(letters, 1))) + c.bias
	p := 1 / (1 + math.Exp(-z))
	// never claim certainty from statistics alone
	return math.Min(math.Max(p, 0.01), 0.999)
}

var (
	shortCalibration = calibration{margin: 4, logLetters: 1, bias: -2}
	longCalibration  = calibration{margin: 20, logLetters: 1, bias: -2}
)
