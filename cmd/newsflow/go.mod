module github.com/newsflow/newsflow/cmd/newsflow

go 1.26.8

require github.com/newsflow/newsflow/pkg v0.0.0

require (
	github.com/ThreeDotsLabs/watermill v1.5.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/lithammer/shortuuid/v3 v3.0.7 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/oklog/ulid v1.3.1 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/segmentio/kafka-go v0.4.51 // indirect
	golang.org/x/sys v0.48.0 // indirect
)

replace github.com/newsflow/newsflow/pkg => ../../pkg
