package logging

import (
	"fmt"

	"github.com/rs/zerolog"
)

// KafkaGo adapts zerolog to kafka-go's Logger (a Printf).
type KafkaGo struct {
	log   zerolog.Logger
	level zerolog.Level
}

// NewKafkaGo logs kafka-go's messages at the given level.
func NewKafkaGo(l zerolog.Logger, level zerolog.Level) KafkaGo { return KafkaGo{log: l, level: level} }

// Printf implements kafka.Logger.
func (k KafkaGo) Printf(format string, args ...any) {
	k.log.WithLevel(k.level).Str("component", "kafka-go").Msg(fmt.Sprintf(format, args...))
}
