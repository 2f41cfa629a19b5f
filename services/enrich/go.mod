module github.com/newsflow/newsflow/services/enrich

go 1.26.8

require (
	github.com/blevesearch/snowballstem v0.9.0
	github.com/jonreiter/govader v0.0.0-20250429093935-f6505c8d03cc
	github.com/newsflow/newsflow/pkg v0.0.0
	github.com/pemistahl/lingua-go v1.4.0
	golang.org/x/text v0.44.0
	google.golang.org/protobuf v1.31.0
)

require (
	github.com/google/go-cmp v0.5.8 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/pierrec/lz4/v4 v4.1.33 // indirect
	github.com/rs/zerolog v1.35.1 // indirect
	github.com/segmentio/kafka-go v0.4.51 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/newsflow/newsflow/pkg => ../../pkg
