// Package logging builds the zerolog logger every service uses and adapts it
// to watermill and kafka-go.
package logging

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Config chooses the level and format of the logs.
type Config struct {
	Level  string // trace, debug, info, warn, error
	Format string // json, console or auto (console on a terminal)
}

// New builds the service logger. Every line carries the service name.
func New(w io.Writer, service string, cfg Config) (zerolog.Logger, error) {
	level := zerolog.InfoLevel
	if cfg.Level != "" {
		l, err := zerolog.ParseLevel(strings.ToLower(cfg.Level))
		if err != nil {
			return zerolog.Nop(), fmt.Errorf("log level %q: want trace, debug, info, warn or error", cfg.Level)
		}
		level = l
	}
	switch cfg.Format {
	case "", "auto":
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			w = consoleWriter(w)
		}
	case "console":
		w = consoleWriter(w)
	case "json":
	default:
		return zerolog.Nop(), fmt.Errorf("log format %q: want json, console or auto", cfg.Format)
	}
	return zerolog.New(w).Level(level).With().Timestamp().Str("service", service).Logger(), nil
}

func consoleWriter(w io.Writer) io.Writer {
	return zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
}

// RegisterFlags adds -log-level and -log-format to fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Level, "log-level", "info", "log level: trace, debug, info, warn, error")
	fs.StringVar(&c.Format, "log-format", "auto", "log format: json, console, or auto (console on a terminal)")
}
