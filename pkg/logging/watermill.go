package logging

import (
	"github.com/ThreeDotsLabs/watermill"
	"github.com/rs/zerolog"
)

// Watermill adapts a zerolog logger to watermill.LoggerAdapter. Watermill's
// info logs are chatty per-message lifecycle events, so they go out at debug.
type Watermill struct {
	log zerolog.Logger
}

// NewWatermill wraps l.
func NewWatermill(l zerolog.Logger) *Watermill { return &Watermill{log: l} }

func (w *Watermill) Error(msg string, err error, fields watermill.LogFields) {
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
	return &Watermill{log: w.log.With().Fields(map[string]any(fields)).Logger()}
}
