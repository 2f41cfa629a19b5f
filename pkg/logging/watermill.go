package logging

import (
	"github.com/ThreeDotsLabs/watermill"
	"github.com/rs/zerolog"
)

// Watermill adapts a zerolog logger to watermill.LoggerAdapter. Watermill's
// info logs are chatty per-message lifecycle events, so they go out at debug;
// its errors repeat once per message during an outage, so they go through a
// Limiter when one is given.
type Watermill struct {
	log     zerolog.Logger
	limiter *Limiter
}

// NewWatermill wraps l.
func NewWatermill(l zerolog.Logger) *Watermill { return &Watermill{log: l} }

// NewWatermillLimited wraps l, writing errors through lim.
func NewWatermillLimited(l zerolog.Logger, lim *Limiter) *Watermill {
	return &Watermill{log: l, limiter: lim}
}

func (w *Watermill) Error(msg string, err error, fields watermill.LogFields) {
	if w.limiter != nil {
		w.limiter.Log(zerolog.ErrorLevel, msg, err, fields)
		return
	}
	w.log.Error().Err(err).Fields(map[string]any(fields)).Msg(msg)
}

func (w *Watermill) Info(msg string, fields watermill.LogFields) {
	w.log.Debug().Fields(map[string]any(fields)).Msg(msg)
}

func (w *Watermill) Debug(msg string, fields watermill.LogFields) {
	w.log.Trace().Fields(map[string]any(fields)).Msg(msg)
}

func (w *Watermill) Trace(msg string, fields watermill.LogFields) {
	w.log.Trace().Fields(map[string]any(fields)).Msg(msg)
}

func (w *Watermill) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return &Watermill{log: w.log.With().Fields(map[string]any(fields)).Logger(), limiter: w.limiter}
}
