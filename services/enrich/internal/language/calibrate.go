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
	// fitted by `go run ./services/enrich/cmd/evallang -fit`: held-out
	// expected calibration error 0.008 on sentences, phrases and words
	shortCalibration = calibration{margin: 3.2588, logLetters: 0.4866, bias: -1.6012}
	// The development set has no errors on long text to fit on; this is set
	// by hand to stay below certainty when the per-trigram lead is thin.
	longCalibration = calibration{margin: 8, logLetters: 0.5, bias: 0}
)
